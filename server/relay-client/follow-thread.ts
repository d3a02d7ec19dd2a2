import "server-only";

import { Worker } from "node:worker_threads";
import { toBinary } from "@bufbuild/protobuf";
import { type GetFlowsRequest, GetFlowsRequestSchema } from "@/proto/gen/observer/observer_pb";
import { GetFlowsDecoder, type RelayResponse } from "@/server/grpc/raw-flows";
import { besideModule, startThread } from "@/server/threads";
import { type FromFollowThread, type FollowThreadData, type ThreadError, type ToFollowThread, fromThreadError } from "./follow-thread-protocol";
import { type FlowSource, type GetFlowsOptions, type RelayConnection, unbatched } from "./relay-client";

// The live views' GetFlows streams, read on a thread of their own. gRPC's work for each message
// (HTTP/2 frames, grpc-js's filter chain, a nextTick and promises per message) is most of what a
// follow stream costs the server's thread at a real cluster's rates, and on that thread Next.js's
// AsyncLocalStorage makes every promise dearer. Here a RelayClient on the follow thread reads the
// stream and sends its messages' bytes over, a batch at a time in one transferred buffer; this
// thread decodes them (raw-flows.ts) exactly as the relay client would have. Errors come over
// classified (RelayError), so the FlowFollower in front of this source behaves as in front of a
// RelayClient. Unary calls and bounded queries stay on the server's RelayClient.
//
// Backpressure: the follow thread keeps at most MAX_BATCHES_IN_FLIGHT batches of a stream unread
// here; then it stops reading its call, which pauses (relay-client.ts), as a slow consumer of a
// RelayClient would.

type Inbox = { messages: FromFollowThread[]; wake: (() => void) | undefined };

/** A FlowSource whose streams are read on the follow thread. One thread serves every stream. */
export class ThreadedFlowSource implements FlowSource {
  private worker: Worker | undefined;
  private readonly inboxes = new Map<number, Inbox>();
  private nextId = 0;
  private closed = false;

  constructor(private readonly relay: RelayConnection) {}

  getFlows(req: GetFlowsRequest, opts: GetFlowsOptions = {}): AsyncIterable<RelayResponse> {
    return unbatched(this.getFlowBatches(req, opts));
  }

  getFlowBatches(req: GetFlowsRequest, opts: GetFlowsOptions = {}): AsyncIterable<readonly RelayResponse[]> {
    return { [Symbol.asyncIterator]: () => this.stream(req, opts)[Symbol.asyncIterator]() };
  }

  /** Streams open on the follow thread. */
  get openStreams(): number {
    return this.inboxes.size;
  }

  /** Messages from the follow thread not yet read here, over all streams (bounded by the backpressure). */
  get queuedMessages(): number {
    let n = 0;
    for (const inbox of this.inboxes.values()) n += inbox.messages.length;
    return n;
  }

  /** Ends every stream (they fail as a closed RelayClient's do) and the thread. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const worker = this.worker;
    this.worker = undefined;
    this.failAll({ message: "RelayClient is closed" });
    await worker?.terminate();
  }

  private async *stream(req: GetFlowsRequest, opts: GetFlowsOptions): AsyncGenerator<readonly RelayResponse[]> {
    const { signal } = opts;
    signal?.throwIfAborted();
    if (this.closed) throw new Error("RelayClient is closed");
    const worker = this.thread();
    const id = ++this.nextId;
    const inbox: Inbox = { messages: [], wake: undefined };
    this.inboxes.set(id, inbox);
    const onAbort = () => inbox.wake?.();
    signal?.addEventListener("abort", onAbort, { once: true });
    worker.postMessage({ kind: "open", id, request: toBinary(GetFlowsRequestSchema, req) } satisfies ToFollowThread);
    // Each stream decodes with its own decoder (its transcoder's buffers), as each RelayClient call would.
    const decoder = new GetFlowsDecoder();
    let over = false;
    try {
      for (;;) {
        signal?.throwIfAborted();
        const message = inbox.messages.shift();
        if (!message) {
          await new Promise<void>((resolve) => (inbox.wake = resolve));
          inbox.wake = undefined;
          continue;
        }
        switch (message.kind) {
          case "connected":
            // Always before the first frames: the follow thread's RelayClient says so before it yields a batch.
            opts.onConnected?.();
            break;
          case "frames": {
            const bytes = new Uint8Array(message.buffer);
            const batch: RelayResponse[] = new Array(message.ends.length);
            let start = 0;
            for (let i = 0; i < message.ends.length; i++) {
              batch[i] = decoder.decode(bytes.subarray(start, message.ends[i]));
              start = message.ends[i];
            }
            yield batch;
            worker.postMessage({ kind: "read", id } satisfies ToFollowThread);
            break;
          }
          case "end":
            over = true;
            return;
          case "error":
            over = true;
            throw fromThreadError(message.error);
        }
      }
    } finally {
      signal?.removeEventListener("abort", onAbort);
      this.inboxes.delete(id);
      if (!over && this.worker === worker) worker.postMessage({ kind: "cancel", id } satisfies ToFollowThread);
    }
  }

  /** The follow thread, started on first use and again after it died. */
  private thread(): Worker {
    if (this.worker) return this.worker;
    const data: FollowThreadData = { relay: this.relay };
    const worker = startThread(
      () => new Worker(new URL("./follow-thread-worker.ts", import.meta.url), { workerData: data }),
      besideModule(import.meta.url, "follow-thread-worker.ts"),
      data,
    );
    // The server's streams end with it; the thread alone keeps no process alive.
    worker.unref();
    worker.on("message", (m: FromFollowThread) => this.deliver(m));
    const died = (why: string) => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      // Retryable: the follower opens its stream again, on a new thread.
      this.failAll({ code: "relay_connection_lost", message: "The stream from Hubble Relay was cut off.", detail: `the follow thread ${why}` });
    };
    worker.on("error", (err) => died(`failed: ${err.message}`));
    worker.on("exit", (code) => died(`exited (code ${code})`));
    this.worker = worker;
    return worker;
  }

  private deliver(message: FromFollowThread): void {
    const inbox = this.inboxes.get(message.id);
    if (!inbox) return; // a stream this thread already left
    inbox.messages.push(message);
    inbox.wake?.();
  }

  private failAll(error: ThreadError): void {
    for (const [id, inbox] of this.inboxes) {
      inbox.messages.push({ kind: "error", id, error });
      inbox.wake?.();
    }
  }
}
