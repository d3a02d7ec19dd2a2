// The follow thread (see ./follow-thread.ts): reads the live views' GetFlows streams with a
// RelayClient of its own and sends each batch of messages' bytes to the server's thread.
import { parentPort, workerData } from "node:worker_threads";
import { fromBinary } from "@bufbuild/protobuf";
import { GetFlowsRequestSchema } from "@/proto/gen/observer/observer_pb";
import { type FollowThreadData, type FromFollowThread, MAX_BATCHES_IN_FLIGHT, type ToFollowThread, toThreadError } from "./follow-thread-protocol";
import { RelayClient } from "./relay-client";

interface Stream {
  readonly abort: AbortController;
  inFlight: number;
  wake: (() => void) | undefined;
}

const port = parentPort;
if (port) {
  const post = (m: FromFollowThread, transfer?: ArrayBuffer[]) => port.postMessage(m, transfer);
  const client = new RelayClient((workerData as FollowThreadData).relay, { flowJson: false });
  const streams = new Map<number, Stream>();

  const follow = async (id: number, request: Uint8Array) => {
    const stream: Stream = { abort: new AbortController(), inFlight: 0, wake: undefined };
    streams.set(id, stream);
    const signal = stream.abort.signal;
    signal.addEventListener("abort", () => stream.wake?.(), { once: true });
    try {
      const req = fromBinary(GetFlowsRequestSchema, request);
      for await (const frames of client.getFlowFrames(req, { signal, onConnected: () => post({ kind: "connected", id }) })) {
        let total = 0;
        for (const f of frames) total += f.byteLength;
        const buffer = new ArrayBuffer(total);
        const bytes = new Uint8Array(buffer);
        const ends = new Uint32Array(frames.length);
        let at = 0;
        for (let i = 0; i < frames.length; i++) {
          bytes.set(frames[i], at);
          at += frames[i].byteLength;
          ends[i] = at;
        }
        stream.inFlight += 1;
        post({ kind: "frames", id, buffer, ends }, [buffer, ends.buffer]);
        while (stream.inFlight >= MAX_BATCHES_IN_FLIGHT && !signal.aborted) {
          await new Promise<void>((resolve) => (stream.wake = resolve));
          stream.wake = undefined;
        }
        if (signal.aborted) return;
      }
      post({ kind: "end", id });
    } catch (err) {
      // A cancel came from the server's thread, which has left the stream: nothing to tell.
      if (!signal.aborted) post({ kind: "error", id, error: toThreadError(err) });
    } finally {
      streams.delete(id);
    }
  };

  port.on("message", (m: ToFollowThread) => {
    switch (m.kind) {
      case "open":
        void follow(m.id, m.request);
        return;
      case "read": {
        const stream = streams.get(m.id);
        if (!stream) return;
        stream.inFlight -= 1;
        stream.wake?.();
        return;
      }
      case "cancel":
        streams.get(m.id)?.abort.abort();
        return;
    }
  });
}
