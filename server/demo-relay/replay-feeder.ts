import "server-only";

import { readFileSync } from "node:fs";
import { create } from "@bufbuild/protobuf";
import { type GetFlowsResponse, GetFlowsResponseSchema } from "@/proto/gen/observer/observer_pb";
import { FlowSchema } from "@/proto/gen/flow/flow_pb";
import { parseJsonLines } from "@/lib/flow-json";
import { nsToTimestamp, timestampToNs, type EpochNs } from "@/lib/timestamp";
import type { DemoCluster } from "./cluster";

const TICK_MS = 50;
const DEFAULT_NODE = "replay";
const LOOP_GAP_NS = 1_000_000_000n;

export class CaptureError extends Error {
  override name = "CaptureError";
}

interface CapturedEvent {
  readonly offsetNs: EpochNs;
  readonly response: GetFlowsResponse;
}

/**
 * Serves a recorded `hubble observe -o jsonpb` capture. Without `loop`, every event goes into the
 * rings at start with its recorded time, so the capture reads back exactly as it was recorded. With
 * `loop`, the capture plays in real time, first pass ending now, each later pass shifted after the
 * previous one; shifted passes get fresh uuids so consumers that de-duplicate by uuid keep them.
 */
export class ReplayFeeder {
  private readonly events: CapturedEvent[];
  private readonly spanNs: EpochNs;
  private timer: NodeJS.Timeout | undefined;
  private pass = 0;
  private passStartNs = 0n;
  private nextIndex = 0;

  constructor(
    path: string,
    private readonly cluster: DemoCluster,
    private readonly now: () => EpochNs,
    private readonly loop: boolean,
    onSkipped: (message: string) => void = (m) => process.stderr.write(`demo-relay: ${m}\n`),
  ) {
    this.events = loadCapture(path, onSkipped);
    const first = this.events[0]?.offsetNs ?? 0n;
    const last = this.events.at(-1)?.offsetNs ?? 0n;
    this.spanNs = last - first;
    for (const name of new Set(this.events.map((e) => e.response.nodeName || DEFAULT_NODE))) {
      cluster.addNode({ name, address: "" });
    }
  }

  get eventCount(): number {
    return this.events.length;
  }

  start(): void {
    if (!this.loop) {
      this.cluster.append(this.events.map((e) => ({ nodeName: e.response.nodeName || DEFAULT_NODE, response: e.response })));
      return;
    }
    this.passStartNs = this.now() - this.spanNs;
    this.tick();
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.timer.unref?.();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private tick(): void {
    if (this.events.length === 0) return;
    const nowNs = this.now();
    const out: Array<{ nodeName: string; response: GetFlowsResponse }> = [];
    const base = this.events[0].offsetNs;
    for (;;) {
      if (this.nextIndex >= this.events.length) {
        this.pass++;
        this.nextIndex = 0;
        this.passStartNs += this.spanNs + LOOP_GAP_NS;
      }
      const e = this.events[this.nextIndex];
      const at = this.passStartNs + (e.offsetNs - base);
      if (at > nowNs) break;
      out.push({ nodeName: e.response.nodeName || DEFAULT_NODE, response: shifted(e.response, at, this.pass) });
      this.nextIndex++;
    }
    this.cluster.append(out);
  }
}

/** Reads a capture; node-status lines (a CLI prints them to stderr, but a relay stream has them) are skipped. */
export function loadCapture(path: string, onSkipped?: (message: string) => void): CapturedEvent[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new CaptureError(`cannot read capture ${path}: ${(err as Error).message}`);
  }
  const events: CapturedEvent[] = [];
  const errors: string[] = [];
  for (const line of parseJsonLines(text)) {
    if (!line.ok) {
      errors.push(`line ${line.line}: ${line.error}`);
      continue;
    }
    const r = line.response;
    if (r.responseTypes.case === "nodeStatus" || r.responseTypes.case === undefined) continue;
    events.push({ offsetNs: timestampToNs(r.time), response: r });
  }
  if (errors.length > 0) {
    // One bad line (say, an enum value newer than our protos) must not hide the rest of a capture.
    const shown = errors.slice(0, 5).join("; ");
    if (events.length === 0) throw new CaptureError(`capture ${path} has no valid line: ${shown}`);
    onSkipped?.(`capture ${path}: skipped ${errors.length} invalid line(s): ${shown}`);
  }
  // Keep recorded order for equal times; otherwise oldest first, as a ring holds them.
  return events
    .map((e, i) => ({ e, i }))
    .sort((a, b) => (a.e.offsetNs < b.e.offsetNs ? -1 : a.e.offsetNs > b.e.offsetNs ? 1 : a.i - b.i))
    .map(({ e }) => e);
}

function shifted(response: GetFlowsResponse, atNs: EpochNs, pass: number): GetFlowsResponse {
  const time = nsToTimestamp(atNs);
  if (response.responseTypes.case !== "flow") {
    return create(GetFlowsResponseSchema, { ...response, time });
  }
  const flow = response.responseTypes.value;
  const uuid = flow.uuid && pass > 0 ? passUuid(flow.uuid, pass) : flow.uuid;
  const copy = create(FlowSchema, { ...flow, time, uuid });
  return create(GetFlowsResponseSchema, { responseTypes: { case: "flow", value: copy }, nodeName: response.nodeName, time });
}

/**
 * A stable uuid for pass N of a looping replay, derived from the original by hashing, so passes
 * never collide with each other or with other flows' uuids (v4 layout).
 */
export function passUuid(uuid: string, pass: number): string {
  let hex = "";
  for (let seed = 0; hex.length < 32; seed++) hex += fnv1a(`${seed}/${pass}/${uuid}`).toString(16).padStart(8, "0");
  const v4 = `${hex.slice(0, 12)}4${hex.slice(13, 16)}${((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16)}${hex.slice(17, 32)}`;
  return `${v4.slice(0, 8)}-${v4.slice(8, 12)}-${v4.slice(12, 16)}-${v4.slice(16, 20)}-${v4.slice(20)}`;
}

function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
