// The embedded demo relay's thread (see ./in-worker.ts): starts the relay with the options it was
// given and tells its parent the address, or why it could not start; closes on "close".
import { parentPort, workerData } from "node:worker_threads";
import { type DemoRelayOptions, startDemoRelay } from "./index";

export type WorkerReply =
  | { readonly kind: "listening"; readonly address: string; readonly port: number; readonly startedAtMs: number }
  | { readonly kind: "failed"; readonly name: string; readonly message: string }
  | { readonly kind: "closed" };

const port = parentPort;
if (port) {
  const reply = (r: WorkerReply) => port.postMessage(r);
  startDemoRelay(workerData as DemoRelayOptions).then(
    (relay) => {
      port.on("message", (msg: unknown) => {
        if (msg !== "close") return;
        void relay.close().finally(() => {
          reply({ kind: "closed" });
          port.close();
        });
      });
      reply({ kind: "listening", address: relay.address, port: relay.port, startedAtMs: Number(relay.startedAtNs / 1_000_000n) });
    },
    (err: unknown) => {
      reply({ kind: "failed", name: err instanceof Error ? err.name : "Error", message: err instanceof Error ? err.message : String(err) });
      port.close();
    },
  );
}
