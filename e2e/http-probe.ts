import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import type { JsonObject } from "@bufbuild/protobuf";
import { SseParser, type StreamEvent } from "../lib/sse";

// Raw HTTP for the abuse tests and bench:abuse: any Host header (fetch may not set it), bodies
// streamed from a generator (to send 140 MB without holding it), and the server's memory.

export interface ProbeResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
  /** From the first byte sent to the whole answer read. */
  readonly ms: number;
  /** Body bytes written before the server answered (or closed). */
  readonly sentBytes: number;
}

export interface ProbeRequest {
  readonly method?: string;
  readonly path: string;
  readonly headers?: Record<string, string>;
  /** A string, or chunks produced on demand (sent with chunked encoding unless content-length is given). */
  readonly body?: string | (() => Iterable<Buffer>);
}

/**
 * One request on a connection of its own. A streamed body the server refuses part way is tried
 * once more when the connection broke before any answer was read: the server answers 413 and
 * closes while the client is still sending, and the reset that follows can reach the client's
 * socket before the answer is read (RFC 9112 §9.6), so Node reports EPIPE or ECONNRESET instead.
 */
export async function probe(port: number, req: ProbeRequest): Promise<ProbeResponse> {
  try {
    return await probeOnce(port, req);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (typeof req.body !== "function" || (code !== "EPIPE" && code !== "ECONNRESET")) throw err;
    return probeOnce(port, req);
  }
}

function probeOnce(port: number, req: ProbeRequest): Promise<ProbeResponse> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    let sent = 0;
    let answered = false;
    const r = httpRequest(
      // A connection of its own: a server that refused an upload closes the socket, which a pooled
      // keep-alive connection would only find out on the next request (ECONNRESET).
      { host: "127.0.0.1", port, agent: false, method: req.method ?? "GET", path: req.path, headers: { host: `127.0.0.1:${port}`, ...req.headers } },
      (res) => {
        answered = true;
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8"), ms: performance.now() - started, sentBytes: sent });
          r.destroy();
        });
        res.on("error", reject);
      },
    );
    r.on("error", (err) => {
      // The server may close the connection once it has refused the rest of a large upload.
      if (!answered) reject(err);
    });
    if (req.body === undefined) return void r.end();
    if (typeof req.body === "string") {
      sent = Buffer.byteLength(req.body);
      return void r.end(req.body);
    }
    const it = req.body()[Symbol.iterator]();
    const pump = () => {
      for (;;) {
        if (answered || r.destroyed) return;
        const next = it.next();
        if (next.done) return void r.end();
        sent += next.value.byteLength;
        if (!r.write(next.value)) return void r.once("drain", pump);
      }
    };
    pump();
  });
}

/** Resident memory of a process and its children, in MB. */
export function rssMb(pid: number): number {
  let kb = 0;
  const pids = [pid];
  try {
    pids.push(
      ...execFileSync("pgrep", ["-P", String(pid)], { encoding: "utf8" })
        .split("\n")
        .filter(Boolean)
        .map(Number),
    );
  } catch {
    // no children
  }
  for (const p of pids) {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${p}/status`, "utf8"));
      if (m) kb += Number(m[1]);
    } catch {
      // gone
    }
  }
  return Math.round(kb / 1024);
}

/** The 140 MB body of the issue: an investigation whose flows are empty objects. */
export function* emptyObjectFlows(totalBytes: number): Iterable<Buffer> {
  yield Buffer.from('{"title":"junk","view":"","flows":[');
  const chunk = Buffer.from("{},".repeat(64 * 1024));
  for (let sent = 0; sent < totalBytes; sent += chunk.byteLength) yield chunk;
  yield Buffer.from("{}]}");
}

/** Polls `cond` until it holds (no fixed sleeps). */
export async function until(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Follows GET /api/flows as a viewer would, keeping every event in order. */
export function watchFlows(base: string, query = ""): { events: StreamEvent[]; stop(): void; done: Promise<void> } {
  const events: StreamEvent[] = [];
  const abort = new AbortController();
  const done = (async () => {
    const res = await fetch(`${base}/api/flows${query}`, { signal: abort.signal });
    if (!res.ok || !res.body) throw new Error(`/api/flows answered ${res.status}`);
    const parser = new SseParser();
    const decoder = new TextDecoder();
    const reader = res.body.getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      events.push(...parser.push(decoder.decode(value, { stream: true })));
    }
  })().catch((err: unknown) => {
    if (!abort.signal.aborted) throw err;
  });
  return { events, stop: () => abort.abort(), done };
}

/** Flows in a list of events. */
export function flowsOf(events: readonly StreamEvent[]): JsonObject[] {
  return events.flatMap((e) => (e.type === "flows" ? [...e.flows] : []));
}
