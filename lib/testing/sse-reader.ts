// Test-only: the one SSE reader the tests use, over any source of stream bytes (a Response body,
// a hub subscription). It reads in the background and decodes events as they arrive; tests wait
// on what it holds with lib/testing/wait.ts, never for a fixed time.

import type { JsonObject } from "@bufbuild/protobuf";
import { SseParser, type StreamEvent } from "@/lib/sse";

export class SseReader {
  readonly events: StreamEvent[] = [];
  /** The source ended (or failed). */
  done = false;
  /** What reading threw, when it did. */
  failure: unknown;
  private readonly parser = new SseParser();

  /** `next` gives the next chunk, undefined at the end; `stop` ends the source early (a closed tab). */
  constructor(
    next: () => Promise<Uint8Array | undefined>,
    private readonly stop: () => Promise<void> = async () => {},
  ) {
    void this.run(next);
  }

  /** Frames the parser could not read. */
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

  uuids(): string[] {
    return this.flows().map((f) => String(f.uuid ?? ""));
  }

  /** Stops reading, as a browser closing the tab. */
  async close(): Promise<void> {
    await this.stop().catch(() => {});
  }

  private async run(next: () => Promise<Uint8Array | undefined>): Promise<void> {
    const decoder = new TextDecoder();
    try {
      for (;;) {
        const chunk = await next();
        if (chunk === undefined) break;
        this.events.push(...this.parser.push(decoder.decode(chunk, { stream: true })));
      }
    } catch (err) {
      this.failure = err;
    } finally {
      this.done = true;
    }
  }
}

/** A Response body as the `next` and `stop` an SseReader reads with. */
export function bodyChunks(response: Response): [next: () => Promise<Uint8Array | undefined>, stop: () => Promise<void>] {
  if (!response.body) throw new Error("response has no body");
  const reader = response.body.getReader();
  return [
    async () => {
      const { value, done } = await reader.read();
      return done ? undefined : value;
    },
    () => reader.cancel(),
  ];
}
