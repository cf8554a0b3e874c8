// The streaming tests' client: writes `total` bytes in 1 MiB chunks through the http flavor.

import { HttpArtifactStore } from "../../flavors/http/mod.ts";

/** A mebibyte. */
export const MiB = 1024 * 1024;

/** Writes `total` bytes to `url/name` in 1 MiB chunks; `onChunk` sees the bytes produced. */
export async function upload(
  url: string,
  name: string,
  total: number,
  onChunk?: (produced: number) => void,
): Promise<void> {
  const client = new HttpArtifactStore({ path: url });
  const w = (await client.open(`${url}/${name}`, "wb")).getWriter();
  const chunk = new Uint8Array(MiB).fill(0x5a);
  for (let sent = 0; sent < total; sent += MiB) {
    onChunk?.(sent + MiB);
    await w.write(chunk);
  }
  await w.close();
}
