import "server-only";

import { Worker } from "node:worker_threads";
import type { HistorySettings } from "@/server/config/env";
import type { FollowerState } from "@/server/relay-client/flow-follower";
import type { RelayConnection } from "@/server/relay-client/relay-client";
import { besideModule, startThread } from "@/server/threads";
import type { RecorderStatus } from "./recorder";

/** What the runtime sees of a recorder, on this thread or its own. */
export interface RecorderHandle {
  readonly status: RecorderStatus;
  /** The recorder thread's nice value (it runs nicer than the server's thread), null on this thread or where refused. */
  readonly nice?: number | null;
  stop(): Promise<void>;
}

export interface RecorderThreadData {
  readonly settings: HistorySettings;
  readonly relay: RelayConnection;
  readonly dataDir: string;
}

export type RecorderThreadMessage =
  | { readonly kind: "started"; readonly status: RecorderStatus; readonly nice: number | null }
  | { readonly kind: "status" | "stopped"; readonly status: RecorderStatus }
  | { readonly kind: "write"; readonly flows: number; readonly duplicates: number; readonly seconds: number }
  | { readonly kind: "state"; readonly state: FollowerState }
  | { readonly kind: "failed"; readonly message: string };

export interface RecorderThreadEvents {
  readonly onWrite?: (flows: number, duplicates: number, seconds: number) => void;
  readonly onStateChange?: (state: FollowerState) => void;
}

/**
 * The recorder on a thread of its own, with its own relay stream and store connection. At a real
 * cluster's rates reading every flow off the wire and writing it costs most of a core; on the
 * server's thread it held every page and stream back (at 20,000 flows/s `/api/status` took 2–5 s
 * instead of 0.1 s), which the recorder must never do. Its status reaches this thread every 250 ms.
 */
export function startRecorderThread(data: RecorderThreadData, events: RecorderThreadEvents = {}): Promise<RecorderHandle> {
  const worker = startThread(() => new Worker(new URL("./recorder-thread.ts", import.meta.url), { workerData: data }), besideModule(import.meta.url, "recorder-thread.ts"), data);
  let status: RecorderStatus | undefined;
  let stopping: Promise<void> | undefined;
  let exited = false;
  worker.once("exit", () => (exited = true));
  return new Promise((resolve, reject) => {
    const onExit = (code: number) => reject(new Error(`the flow history recorder's thread exited (code ${code}) before it started`));
    worker.once("exit", onExit);
    worker.once("error", reject);
    worker.on("message", (m: RecorderThreadMessage) => {
      switch (m.kind) {
        case "failed":
          reject(new Error(m.message));
          return;
        case "write":
          events.onWrite?.(m.flows, m.duplicates, m.seconds);
          return;
        case "state":
          events.onStateChange?.(m.state);
          return;
        case "started":
          worker.off("exit", onExit);
          worker.off("error", reject);
          worker.on("error", (err) => process.stderr.write(`hubble-lens: the flow history recorder's thread failed: ${err.message}\n`));
          status = m.status;
          resolve({
            get status() {
              return status!;
            },
            nice: m.nice,
            stop() {
              stopping ??= exited
                ? Promise.resolve()
                : new Promise<void>((done) => {
                    worker.once("exit", () => done());
                    worker.postMessage("stop");
                  });
              return stopping;
            },
          });
          return;
        case "stopped":
          // Its stream, store connection and timers are closed: nothing left to wait for there.
          status = m.status;
          void worker.terminate();
          return;
        default:
          status = m.status;
      }
    });
  });
}
