/**
 * DeleteObjects: up to 1,000 deletes in one `<Delete>` XML request (quiet mode,
 * so the answer lists only the keys that failed).
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjects.html
 *
 * @module
 */

import { md5, toBase64 } from "../../src/checksum.ts";
import { type HttpRequest, queryString } from "../../src/http/mod.ts";
import { escapeXml, parseXml } from "../../src/xml.ts";
import type { S3Client } from "./client.ts";
import { okAnswerError } from "./errors.ts";

/** A per-key failure of DeleteObjects. */
export interface DeleteFailure {
  /** The key. */
  key: string;
  /** The S3 error code. */
  code: string;
  /** The message. */
  message: string;
}

/**
 * Deletes up to 1,000 objects in one request and returns the keys that failed.
 *
 * https://docs.aws.amazon.com/AmazonS3/latest/API/API_DeleteObjects.html
 *
 * @param client the client
 * @param keys the keys (XML-safe)
 * @returns the per-key failures
 */
export async function deleteObjects(client: S3Client, keys: string[]): Promise<DeleteFailure[]> {
  const body = `<?xml version="1.0" encoding="UTF-8"?>` +
    `<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Quiet>true</Quiet>` +
    keys.map((k) => `<Object><Key>${escapeXml(k)}</Key></Object>`).join("") +
    `</Delete>`;
  const bytes = new TextEncoder().encode(body);
  const req: HttpRequest = {
    method: "POST",
    url: await client.url("", queryString({ delete: "" }, { bareEmpty: true })),
    headers: {
      "Content-Type": "application/xml",
      // Required by the API whatever the checksum setting.
      "Content-MD5": toBase64(md5(bytes)),
    },
    body: bytes,
    path: client.uri(keys[0] ?? ""),
    op: "delete",
  };
  const doc = await client.http.sendAndRead(req, (text, res) => {
    const doc = parseXml(text);
    if (doc.name === "Error") throw okAnswerError(res.headers, req, text);
    return doc;
  });
  return doc.all("Error").map((e) => ({
    key: e.text("Key") ?? "",
    code: e.text("Code") ?? "",
    message: e.text("Message") ?? "",
  }));
}
