// The flow history recorder's thread (see ./recorder-in-thread.ts): opens its own connection to
// the store and to the relay, records, and reports its status to the server's thread.
import { getPriority, setPriority } from "node:os";
import { parentPort, workerData } from "node:worker_threads";
import { RelayClient } from "@/server/relay-client/relay-client";
import { openFlowStore } from "./open";
import { FlowRecorder } from "./recorder";
import type { RecorderThreadData, RecorderThreadMessage } from "./recorder-in-thread";

/** How often the thread tells the server where it is (status, newest flow written). */
const STATUS_EVERY_MS = 250;
/**
 * How much nicer than the server's thread this one runs. Recording is background work: when the
 * machine's cores are all busy, the live view (the server's thread, and a browser on the same
 * machine) goes first, and the recorder falls behind, which it says (status, metrics), rather
 * than the other way round. On Linux a thread's nice value is its own.
 */
const NICER_BY = 10;

/** This thread's nice value after lowering its priority, or null where the system refused. */
function lowerPriority(): number | null {
  try {
    setPriority(Math.min(19, getPriority() + NICER_BY));
    return getPriority();
  } catch {
    return null;
  }
}

const port = parentPort;
if (port) {
  const post = (m: RecorderThreadMessage) => port.postMessage(m);
  const data = workerData as RecorderThreadData;
  const nice = lowerPriority();
  void (async () => {
    const store = await openFlowStore(data.settings, data.dataDir);
    const client = new RelayClient(data.relay, { flowJson: false });
    const recorder = new FlowRecorder({
      source: client,
      store,
      mode: data.settings.keep,
      whitelist: data.settings.filter?.whitelist,
      blacklist: data.settings.filter?.blacklist,
      retention: { maxAgeMs: data.settings.retentionMs, maxBytes: data.settings.maxBytes },
      onWrite: (flows, duplicates, seconds) => post({ kind: "write", flows, duplicates, seconds }),
      onStateChange: (state) => post({ kind: "state", state }),
    });
    await recorder.start();
    const timer = setInterval(() => post({ kind: "status", status: recorder.status }), STATUS_EVERY_MS);
    post({ kind: "started", status: recorder.status, nice });
    port.on("message", (msg: unknown) => {
      if (msg !== "stop") return;
      clearInterval(timer);
      void (async () => {
        try {
          await recorder.stop();
        } finally {
          client.close();
          await store.close();
          post({ kind: "stopped", status: recorder.status });
          port.close();
        }
      })();
    });
  })().catch((err: unknown) => {
    post({ kind: "failed", message: err instanceof Error ? err.message : String(err) });
    port.close();
  });
}
