import "server-only";
import { promisify } from "node:util";
import { constants, gunzip, gzip } from "node:zlib";

// Flows are stored as gzip-compressed NDJSON in chunks of CHUNK_FLOWS lines. Chunks compress on
// libuv's thread pool, at most IN_POOL at a time, while the main thread makes the next chunk's
// bytes: compressing all ten of a 50,000-flow save at once took every thread of the pool (4) for
// seconds, and the server's file reads (static assets, pages) waited behind them. No single
// database value grows past a few MB.
//
// The main thread's share (lines → UTF-8 bytes, and back) is cut into slices of a few ms with a
// yield between them: done in one go, 50,000 flows (~95 MB) took the event loop for 1–2 s (a
// ~95 MB string join, its copy into a Buffer, and the major GC the garbage set off), and every
// live stream of the server stalled meanwhile. Bytes are built from pieces of PIECE_FLOWS lines,
// so no string of more than a few hundred KB is ever made.

export const FLOWS_FORMAT = "ndjson+gzip";
export const CHUNK_FLOWS = 5_000;
/** Lines turned into bytes (or back) at once: a few hundred KB. */
const PIECE_FLOWS = 250;
/** Work this long, then let timers and other requests (SSE streams) run. */
const SLICE_MS = 8;
/** Chunks (de)compressed on the thread pool at once: half of libuv's default 4 threads. */
const IN_POOL = 2;

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);
const NEWLINE = Buffer.from("\n");

/** Yields to the event loop when the current slice has run SLICE_MS. */
function slicer(): () => Promise<void> {
  let start = performance.now();
  return async () => {
    if (performance.now() - start < SLICE_MS) return;
    await new Promise((resolve) => setImmediate(resolve));
    start = performance.now();
  };
}

/** Lines → compressed chunks. A line must be non-empty and contain no "\n" (NDJSON could not give it back). */
export async function encodeFlowChunks(lines: readonly string[]): Promise<Buffer[]> {
  const pause = slicer();
  const compressing: Promise<Buffer>[] = [];
  for (let start = 0; start < lines.length; start += CHUNK_FLOWS) {
    const end = Math.min(lines.length, start + CHUNK_FLOWS);
    const pieces: Buffer[] = [];
    for (let p = start; p < end; p += PIECE_FLOWS) {
      const slice = lines.slice(p, Math.min(end, p + PIECE_FLOWS));
      for (let i = 0; i < slice.length; i++) {
        if (slice[i] === "" || slice[i].includes("\n")) throw new Error(`flow line ${p + i + 1} is empty or contains a newline`);
      }
      if (pieces.length > 0) pieces.push(NEWLINE);
      pieces.push(Buffer.from(slice.join("\n"), "utf8"));
      await pause();
    }
    // Level 5: within a few % of level 9's size on flow JSON at a fraction of the time. Started
    // now, on the thread pool, while the next chunk's bytes are made here.
    const text = Buffer.concat(pieces);
    if (compressing.length >= IN_POOL) await compressing[compressing.length - IN_POOL];
    const compressed = gzipAsync(text, { level: 5, strategy: constants.Z_DEFAULT_STRATEGY });
    compressed.catch(() => undefined); // a failure surfaces from Promise.all below, not as unhandled
    compressing.push(compressed);
    await pause();
  }
  return Promise.all(compressing);
}

/** Chunks (in order) → the lines that were encoded. */
export async function decodeFlowChunks(chunks: readonly Uint8Array[]): Promise<string[]> {
  const pause = slicer();
  const lines: string[] = [];
  // The next chunk decompresses on the thread pool while this one is split here.
  const inflate = (c: number): Promise<Buffer> | undefined => {
    if (c >= chunks.length) return undefined;
    const p = gunzipAsync(chunks[c]);
    p.catch(() => undefined); // a failure surfaces when it is awaited, not as unhandled
    return p;
  };
  let next = inflate(0);
  for (let c = 0; c < chunks.length; c++) {
    const buf = await next!;
    next = inflate(c + 1);
    // Decoded a piece at a time: a chunk's ~10 MB decoded and split at once blocks for long.
    let from = 0;
    while (from < buf.length) {
      let to = from;
      for (let n = 0; n < PIECE_FLOWS && to < buf.length; n++) {
        const nl = buf.indexOf(0x0a, to);
        to = nl < 0 ? buf.length : nl + 1;
      }
      const piece = buf.toString("utf8", from, to);
      for (const line of (piece.endsWith("\n") ? piece.slice(0, -1) : piece).split("\n")) lines.push(line);
      from = to;
      await pause();
    }
  }
  return lines;
}
