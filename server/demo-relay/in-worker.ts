import "server-only";

import { Worker } from "node:worker_threads";
import { besideModule, startThread } from "@/server/threads";
import { type DemoRelayOptions, DemoRelayOptionError } from "./index";
import type { WorkerReply } from "./worker";

/** The embedded demo relay as the dashboard runs it: only what the runtime needs of it. */
export interface DemoRelayThread {
  /** host:port to dial. */
  readonly address: string;
  readonly port: number;
  /** When it started (ms): a replay's first pass ends here. */
  readonly startedAtMs: number;
  close(): Promise<void>;
}

/** Options that cross to the thread: plain data only (no clock function, no TLS keys). */
export type DemoRelayThreadOptions = Omit<DemoRelayOptions, "now" | "tls">;

/**
 * Starts the embedded demo relay on a thread of its own. At a real cluster's rates simulating
 * and encoding the traffic costs as much CPU as following it does; on the server's own thread
 * it would hold back every viewer's stream, as a real relay, being another process, never does.
 */
export function startDemoRelayThread(opts: DemoRelayThreadOptions): Promise<DemoRelayThread> {
  const worker = spawnThread(opts);
  let exited = false;
  worker.once("exit", () => (exited = true));
  return new Promise((resolve, reject) => {
    let closed: (() => void) | undefined;
    let closing: Promise<void> | undefined;
    const onExit = (code: number) => reject(new Error(`the demo relay's thread exited (code ${code}) before it listened`));
    worker.once("error", reject);
    worker.once("exit", onExit);
    worker.on("message", (msg: WorkerReply) => {
      if (msg.kind === "failed") {
        reject(msg.name === "DemoRelayOptionError" ? new DemoRelayOptionError(msg.message) : new Error(`demo relay: ${msg.message}`));
      } else if (msg.kind === "closed") {
        // Its server and simulation are stopped: nothing left to wait for on that thread.
        closed?.();
        void worker.terminate();
      } else {
        worker.off("exit", onExit);
        worker.off("error", reject);
        // A failure after start (a bug in the simulator) must not take the server down silently.
        worker.on("error", (err) => process.stderr.write(`hubble-lens: the demo relay's thread failed: ${err.message}\n`));
        resolve({
          address: msg.address,
          port: msg.port,
          startedAtMs: msg.startedAtMs,
          close: () =>
            (closing ??= exited
              ? Promise.resolve()
              : new Promise<void>((done) => {
                  closed = done;
                  worker.once("exit", () => done());
                  worker.postMessage("close");
                })),
        });
      }
    });
  });
}

function spawnThread(workerData: DemoRelayThreadOptions): Worker {
  return startThread(() => new Worker(new URL("./worker.ts", import.meta.url), { workerData }), besideModule(import.meta.url, "worker.ts"), workerData);
}
