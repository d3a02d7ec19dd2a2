import "server-only";

// Helpers for the route tests: an SSE reader over a Response body, a port nothing listens on,
// and condition waits (never fixed sleeps).

import { mkdtempSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fromJson, type JsonObject } from "@bufbuild/protobuf";
import { type Flow, FlowSchema } from "@/proto/gen/flow/flow_pb";
import { compileFlowFilters } from "@/lib/filters";
import { parseFlowQueryParams, toHubbleFilters } from "@/lib/filter-model";
import { SseParser, type StreamEvent } from "@/lib/sse";
import { waitUntil as poll } from "@/lib/testing/wait";

/** Reads an SSE response body in the background, decoding events as they come. */
export class SseClient {
  readonly events: StreamEvent[] = [];
  done = false;
  failure: unknown;
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  private readonly parser = new SseParser();

  constructor(readonly response: Response) {
    if (!response.body) throw new Error("response has no body");
    this.reader = response.body.getReader();
    void this.run();
  }

  get skipped(): number {
    return this.parser.skipped;
  }

  of<T extends StreamEvent["type"]>(type: T): Array<Extract<StreamEvent, { type: T }>> {
    return this.events.filter((e): e is Extract<StreamEvent, { type: T }> => e.type === type);
  }

  /** Flows received, in order; `history` picks the history or the live part. */
  flows(history?: boolean): JsonObject[] {
    return this.of("flows")
      .filter((e) => history === undefined || (e.history === true) === history)
      .flatMap((e) => [...e.flows]);
  }

  /** Stops reading, as a browser closing the tab. */
  async close(): Promise<void> {
    await this.reader.cancel().catch(() => {});
  }

  private async run(): Promise<void> {
    const decoder = new TextDecoder();
    try {
      for (;;) {
        const { value, done } = await this.reader.read();
        if (done) break;
        this.events.push(...this.parser.push(decoder.decode(value, { stream: true })));
      }
    } catch (err) {
      this.failure = err;
    } finally {
      this.done = true;
    }
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

/**
 * Polls `cond` until it holds; fails with `what` after `timeoutMs`. The default is generous: these
 * waits normally end within a second, but a loaded CI machine can be many times slower.
 */
export function waitUntil(cond: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  return poll(cond, what, timeoutMs);
}

/** A fresh directory for a test runtime's investigation database, so tests never write ./data. */
export function testDataDir(): string {
  return mkdtempSync(join(tmpdir(), "hubble-lens-test-"));
}
