import "server-only";

// Helpers for the route tests: an SSE reader over a Response body, a port nothing listens on, a
// real HTTP server in front of route bodies, and the one condition wait (never fixed sleeps).

import { mkdtempSync } from "node:fs";
import { createServer as createHttpServer } from "node:http";
import { createServer } from "node:net";
import { Readable } from "node:stream";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fromJson, type JsonObject } from "@bufbuild/protobuf";
import { type Flow, FlowSchema } from "@/proto/gen/flow/flow_pb";
import { compileFlowFilters } from "@/lib/filters";
import { parseFlowQueryParams, toHubbleFilters } from "@/lib/filter-model";
import { bodyChunks, SseReader } from "@/lib/testing/sse-reader";
import { waitUntil } from "@/lib/testing/wait";

/** Reads an SSE response body in the background, decoding events as they come (lib/testing/sse-reader.ts). */
export class SseClient extends SseReader {
  constructor(readonly response: Response) {
    super(...bodyChunks(response));
  }
}

/** A flow back from Hubble's JSON, strictly: an unknown field is an error. */
export function flowFromJson(json: JsonObject): Flow {
  return fromJson(FlowSchema, json, { ignoreUnknownFields: false });
}

/** The predicate the relay applies for `/api/flows` query parameters. */
export function predicateOf(query: string): (flow: Flow) => boolean {
  const parsed = parseFlowQueryParams(new URLSearchParams(query));
  if (!parsed.ok) throw new Error(`bad test query ${query}: ${parsed.error.message}`);
  const f = toHubbleFilters(parsed.query);
  return compileFlowFilters(f.whitelist, f.blacklist);
}

/** A TCP port on 127.0.0.1 that nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return address.port;
}

export { waitUntil };

/**
 * A real HTTP server on 127.0.0.1 in front of route bodies, so a test can use the browser's client
 * (real fetch, real status lines and headers) against them. `route` gets a Request, as Next gives
 * a route handler, and answers a Response (or undefined: 404).
 */
export async function serveRoutes(route: (request: Request) => Promise<Response | undefined> | Response | undefined): Promise<{ origin: string; close(): Promise<void> }> {
  const server = createHttpServer((req, res) => {
    void (async () => {
      const headers = new Headers();
      for (const [k, v] of Object.entries(req.headers)) for (const value of Array.isArray(v) ? v : v === undefined ? [] : [v]) headers.append(k, value);
      const hasBody = req.method !== "GET" && req.method !== "HEAD";
      const request = new Request(`http://${req.headers.host}${req.url}`, {
        method: req.method,
        headers,
        ...(hasBody ? { body: Readable.toWeb(req) as ReadableStream<Uint8Array>, duplex: "half" } : {}),
      } as RequestInit);
      const response = (await route(request)) ?? new Response("no such route in this test", { status: 404 });
      // No status text given: Node's own ("Bad Gateway"), as a real server or proxy sends.
      if (response.statusText) res.statusMessage = response.statusText;
      // A route that answered before reading the whole body (a 403 at flows.1, a 413) leaves the
      // connection unusable: say so, as Node's own server does, so the client does not reuse it.
      const unread = hasBody && !req.complete ? { connection: "close" } : {};
      res.writeHead(response.status, { ...Object.fromEntries(response.headers), ...unread });
      if (response.body) {
        const reader = response.body.getReader();
        for (let next = await reader.read(); !next.done; next = await reader.read()) res.write(next.value);
      }
      res.end();
    })().catch((err: unknown) => {
      res.writeHead(500, { "content-type": "text/plain" });
      res.end(`test server: ${String(err)}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no port");
  return {
    origin: `http://127.0.0.1:${address.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A fresh directory for a test runtime's investigation database, so tests never write ./data. */
export function testDataDir(): string {
  return mkdtempSync(join(tmpdir(), "hubble-lens-test-"));
}
