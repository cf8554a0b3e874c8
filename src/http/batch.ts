/**
 * `multipart/mixed` batches, written once: {@linkcode buildBatchBody} writes
 * sub-requests as `application/http` parts (as GCS's JSON batch endpoint and Azure's
 * Blob Batch take them), {@linkcode parseBatchResponse} reads the answer back into
 * one {@linkcode BatchPart} a sub-response — status, headers, body — tolerating LF
 * line ends, a quoted boundary, a preamble and an epilogue.
 *
 * @example
 * ```ts
 * import { buildBatchBody, parseBatchBody } from "./batch.ts";
 * const body = buildBatchBody([{ method: "DELETE", target: "/c/a", contentId: "0" }], "b1");
 * console.assert(body.startsWith("--b1\r\nContent-Type: application/http\r\n"));
 * const parts = parseBatchBody(
 *   "--b2\r\nContent-ID: 0\r\n\r\nHTTP/1.1 202 Accepted\r\n\r\n\r\n--b2--\r\n",
 *   "b2",
 * );
 * console.assert(parts[0].status === 202 && parts[0].contentId === "0");
 * ```
 *
 * @module
 */

import { ArtifactStoreError } from "../errors.ts";

/** One sub-request of a batch. */
export interface BatchSubRequest {
  /** The method (`DELETE`). */
  method: string;
  /** The request target: path and query (`/container/blob?x=1`). */
  target: string;
  /** The sub-request's headers, in the order given. */
  headers?: HeadersInit;
  /** The sub-request's body, if any. */
  body?: string;
  /** The part's `Content-ID`, which the answer's part carries back. */
  contentId?: string;
}

/** One sub-response of a batch answer. */
export interface BatchPart {
  /** The part's `Content-ID`, without angle brackets. */
  contentId?: string;
  /** The sub-response's status. */
  status: number;
  /** Its reason phrase. */
  statusText: string;
  /** Its headers. */
  headers: Headers;
  /** Its body, as text. */
  body: string;
}

/**
 * Each sub-request's part of a batch answer, in the order of the sub-requests:
 * `indexOf` reads which sub-request a part answers (its `Content-ID`, or its
 * place); a sub-request the answer does not mention gets `undefined`, a second
 * part for one sub-request is ignored.
 *
 * @param parts the answer's parts
 * @param count how many sub-requests were sent
 * @param indexOf the 0-based sub-request a part answers, `undefined` for none
 * @returns one entry per sub-request
 *
 * @example
 * ```ts
 * import { partsBySubRequest } from "./batch.ts";
 * const part = { contentId: "1", status: 204, statusText: "", headers: new Headers(), body: "" };
 * const out = partsBySubRequest([part], 2, (p) => Number(p.contentId));
 * console.assert(out[0] === undefined && out[1] === part);
 * ```
 */
export function partsBySubRequest(
  parts: BatchPart[],
  count: number,
  indexOf: (part: BatchPart, order: number) => number | undefined,
): (BatchPart | undefined)[] {
  const out: (BatchPart | undefined)[] = new Array(count).fill(undefined);
  parts.forEach((part, order) => {
    const i = indexOf(part, order);
    if (i !== undefined && Number.isInteger(i) && i >= 0 && i < count) out[i] ??= part;
  });
  return out;
}

/** Where a batch answer came from, for the error a malformed one raises. */
export interface BatchContext {
  /** The flavor. */
  flavor: string;
  /** What the batch did, for the message (`"delete 3 objects in"`). */
  op: string;
  /** The store path concerned. */
  path?: string;
}

/**
 * A fresh boundary: the prefix, `_` and a random UUID.
 *
 * @param prefix the start of the boundary (default `batch`)
 * @returns the boundary
 *
 * @example
 * ```ts
 * import { batchBoundary } from "./batch.ts";
 * console.assert(/^batch_[0-9a-f-]{36}$/.test(batchBoundary()));
 * ```
 */
export function batchBoundary(prefix = "batch"): string {
  return `${prefix}_${crypto.randomUUID()}`;
}

/**
 * The body of a batch request: each sub-request an `application/http` part (binary
 * transfer encoding, its `Content-ID`) holding the request line, headers, a blank
 * line and the body; CRLF line ends; the closing delimiter last. Send it with
 * `Content-Type: multipart/mixed; boundary={boundary}`.
 *
 * @param requests the sub-requests
 * @param boundary the boundary (see {@linkcode batchBoundary})
 * @returns the body, as text
 *
 * @example
 * ```ts
 * import { buildBatchBody } from "./batch.ts";
 * const body = buildBatchBody([{ method: "DELETE", target: "/b/o/k", contentId: "<item1>" }], "x");
 * console.assert(body.endsWith("DELETE /b/o/k HTTP/1.1\r\n\r\n\r\n--x--\r\n"));
 * ```
 */
export function buildBatchBody(requests: BatchSubRequest[], boundary: string): string {
  let out = "";
  for (const r of requests) {
    out +=
      `--${boundary}\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n`;
    if (r.contentId !== undefined) out += `Content-ID: ${r.contentId}\r\n`;
    out += `\r\n${r.method} ${r.target} HTTP/1.1\r\n`;
    new Headers(r.headers).forEach((value, name) => (out += `${name}: ${value}\r\n`));
    // The CRLF after the body belongs to the next delimiter (RFC 2046 §5.1.1).
    out += `\r\n${r.body ?? ""}\r\n`;
  }
  return `${out}--${boundary}--\r\n`;
}

/**
 * The boundary of a `multipart/…` content type (quoted or not), or `undefined`.
 *
 * @param contentType the `Content-Type` header
 * @returns the boundary
 *
 * @example
 * ```ts
 * import { multipartBoundary } from "./batch.ts";
 * console.assert(multipartBoundary('multipart/mixed; boundary="a b"') === "a b");
 * console.assert(multipartBoundary("application/json") === undefined);
 * ```
 */
export function multipartBoundary(contentType: string | null): string | undefined {
  if (!/^\s*multipart\//i.test(contentType ?? "")) return undefined;
  const m = /;\s*boundary\s*=\s*(?:"([^"]+)"|([^;\s]+))/i.exec(contentType ?? "");
  return m ? m[1] ?? m[2] : undefined;
}

/** Headers from `Name: value` lines (continuation lines folded in). */
function parseHeaderLines(lines: string[]): Headers {
  const headers = new Headers();
  let last: [string, string] | undefined;
  const flush = () => {
    if (!last) return;
    try {
      headers.append(last[0], last[1].trim());
    } catch {
      // A name or value Headers refuses: leave it out.
    }
  };
  for (const line of lines) {
    if (/^[ \t]/.test(line) && last) {
      last[1] += ` ${line.trim()}`;
      continue;
    }
    flush();
    const colon = line.indexOf(":");
    last = colon > 0 ? [line.slice(0, colon).trim(), line.slice(colon + 1)] : undefined;
  }
  flush();
  return headers;
}

/** Splits at the first blank line: the header lines and the rest. */
function splitHead(text: string): [string[], string] {
  const m = /^\r?\n|\r?\n\r?\n/.exec(text);
  const head = m ? text.slice(0, m.index) : text;
  const rest = m ? text.slice(m.index + m[0].length) : "";
  return [head === "" ? [] : head.split(/\r?\n/), rest];
}

/**
 * The sub-responses of a batch answer's body, in order. Text before the first
 * delimiter (preamble) and after the closing one (epilogue) is ignored, LF line ends
 * count as CRLF, a missing closing delimiter ends the last part at the end of the
 * text, and a part that holds no HTTP status line is left out (the caller counts
 * its sub-request as unanswered).
 *
 * @param text the body
 * @param boundary the boundary of its content type
 * @returns the parts
 *
 * @example
 * ```ts
 * import { parseBatchBody } from "./batch.ts";
 * const text = "preamble\n--b\nContent-ID: <response-item1>\n\nHTTP/1.1 204 No Content\n\n\n--b--\n";
 * const [p] = parseBatchBody(text, "b");
 * console.assert(p.status === 204 && p.contentId === "response-item1");
 * ```
 */
export function parseBatchBody(text: string, boundary: string): BatchPart[] {
  const escaped = boundary.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const delimiter = new RegExp(`(?:^|\\r?\\n)--${escaped}(--)?[ \\t]*(?:\\r?\\n|$)`, "g");
  const bodies: string[] = [];
  let start = -1;
  for (let m; (m = delimiter.exec(text));) {
    if (start >= 0) bodies.push(text.slice(start, m.index));
    if (m[1]) {
      start = -1;
      break;
    }
    start = m.index + m[0].length;
    // The delimiter's own line end may be the next one's leading CRLF.
    delimiter.lastIndex = start - (/\r?\n$/.exec(m[0])?.[0].length ?? 0);
  }
  if (start >= 0) bodies.push(text.slice(start));
  const parts: BatchPart[] = [];
  for (const raw of bodies) {
    const [partHead, content] = splitHead(raw);
    const partHeaders = parseHeaderLines(partHead);
    const [responseHead, body] = splitHead(content);
    const sm = /^HTTP\/\d(?:\.\d)?\s+(\d{3})\s*(.*)$/.exec(responseHead[0] ?? "");
    if (!sm) continue;
    const id = partHeaders.get("content-id")?.trim();
    parts.push({
      contentId: id === undefined ? undefined : id.replace(/^<(.*)>$/, "$1"),
      status: Number(sm[1]),
      statusText: sm[2].trim(),
      headers: parseHeaderLines(responseHead.slice(1)),
      body,
    });
  }
  return parts;
}

/**
 * Reads a batch answer: its sub-responses (see {@linkcode parseBatchBody}). An answer
 * that is not `multipart/…` with a boundary is malformed: a retryable
 * {@linkcode ArtifactStoreError}, as the service may answer properly next time.
 *
 * @param text the batch response's body, read whole
 * @param res the batch response (its headers)
 * @param ctx flavor, operation and path, for the error
 * @returns the parts
 * @throws {ArtifactStoreError} a retryable one, when the answer is not multipart
 *
 * @example
 * ```ts
 * import { parseBatchResponse } from "./batch.ts";
 * const res = new Response("--z\r\n\r\nHTTP/1.1 404 Not Found\r\n\r\n\r\n--z--", {
 *   headers: { "content-type": "multipart/mixed; boundary=z" },
 * });
 * const parts = parseBatchResponse(await res.text(), res, { flavor: "demo", op: "delete" });
 * console.assert(parts[0].status === 404);
 * ```
 */
export function parseBatchResponse(
  text: string,
  res: Response,
  ctx: BatchContext,
): BatchPart[] {
  const ct = res.headers.get("content-type") ?? "";
  const boundary = multipartBoundary(ct);
  if (boundary === undefined) {
    const where = ctx.path !== undefined ? ` '${ctx.path}'` : "";
    throw new ArtifactStoreError(
      `Cannot ${ctx.op}${where}: the batch answer is not multipart ('${ct}'); trying again may succeed`,
      { path: ctx.path, flavor: ctx.flavor, status: res.status, retryable: true },
    );
  }
  return parseBatchBody(text, boundary);
}
