// Raw HTTP/1.1 over node:net (works on Deno, Bun and Node), so that request targets
// reach the server exactly as written: no client-side URL normalization.

import net from "node:net";

/** A parsed answer. */
export interface RawResponse {
  /** The status code (0 when the server closed without answering). */
  status: number;
  /** Lower-case header names. */
  headers: Record<string, string>;
  /** The body as text (chunked encoding not decoded). */
  body: string;
}

/**
 * Sends raw bytes to 127.0.0.1:port and reads until the server closes (send
 * `Connection: close`), or until `timeoutMs`.
 *
 * @param port the server port
 * @param request the request bytes
 * @param timeoutMs give up after this long (default 5 s)
 */
export function rawRequest(
  port: number,
  request: string | Uint8Array,
  timeoutMs = 5000,
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1");
    const chunks: Uint8Array[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      finish();
    }, timeoutMs);
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      const text = new TextDecoder().decode(concat(chunks));
      resolve(parse(text));
    };
    socket.on("connect", () => socket.write(request));
    socket.on("data", (d: Uint8Array) => chunks.push(new Uint8Array(d)));
    socket.on("end", finish);
    socket.on("close", finish);
    socket.on("error", (err) => {
      if (chunks.length > 0) finish();
      else if (!done) {
        done = true;
        clearTimeout(timer);
        reject(err);
      }
    });
  });
}

/**
 * Starts a request, sends `head` and `partial`, then drops the connection
 * without finishing the body.
 *
 * @param port the server port
 * @param head the request line and headers (with the blank line)
 * @param partial some of the body
 */
export function abandonUpload(
  port: number,
  head: string,
  partial: Uint8Array,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1");
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error("could not send the partial upload within 5 s"));
    }, 5000);
    socket.on("error", () => {});
    socket.on("connect", () => {
      socket.write(head);
      socket.write(partial, () => {
        setTimeout(() => {
          clearTimeout(timer);
          socket.destroy();
          resolve();
        }, 100);
      });
    });
  });
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}

function parse(text: string): RawResponse {
  const end = text.indexOf("\r\n\r\n");
  const head = end < 0 ? text : text.slice(0, end);
  const body = end < 0 ? "" : text.slice(end + 4);
  const [statusLine, ...lines] = head.split("\r\n");
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine ?? "");
  const headers: Record<string, string> = {};
  for (const l of lines) {
    const i = l.indexOf(":");
    if (i > 0) {
      headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
    }
  }
  return { status: m ? Number(m[1]) : 0, headers, body };
}
