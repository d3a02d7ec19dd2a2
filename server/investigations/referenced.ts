import "server-only";
import { fromJson, type JsonValue, toJson } from "@bufbuild/protobuf";
import { type Flow, type FlowFilter, FlowFilterSchema } from "@/proto/gen/flow/flow_pb";
import type { GetFlowsResponse } from "@/proto/gen/observer/observer_pb";
import type { FlowReferenceView } from "@/lib/api/investigations";
import { flowVisible, type NamespaceAccess } from "@/lib/access/scope";
import { compileFlowFilters } from "@/lib/filters/compile";
import { getFlowsResponseToJson } from "@/lib/flow-json";
import { parseFlowRequest } from "@/server/flow-request";
import type { HistoryCoverage } from "@/server/flow-store";
import { SEAM_GRACE_NS, storedResponse } from "@/server/flow-store/history-query";
import type { FlowStore, StoredFlow } from "@/server/flow-store/store";
import { timestampJsonText } from "@/server/grpc/flow-json-plan";
import { GetFlowsDecoder, type RelayResponse } from "@/server/grpc/raw-flows";
import { MAX_FLOWS, MAX_NAMESPACE_PAIRS, type FlowReference, type NamespacePair } from "./store";

// Investigations that point at the flow history instead of copying their flows.
//
// Saving: when the history keeps every flow (HUBBLE_LENS_HISTORY_KEEP=all) and covers the view's
// window — it reaches back to the window's start, and the recorder has written past its end by the
// seam's grace (the relay's output is only roughly ordered) — the investigation records the view's
// Hubble filters (with the saver's namespace scope), the window to the nanosecond and how many
// stored flows matched. Otherwise it copies what the browser sent, as before.
//
// Opening: the flows are read from the store once, oldest first, a block at a time (never all at
// once as one string), through the same filters, when the browser asks for them. Retention removes
// the oldest flows: then fewer match than were saved. `referenceView` tells the page the count
// saved and since when history reaches without reading them; the page counts the lines it
// received and says how many of how many remain (lib/investigation/reference.ts).

/** What an investigation needs of the flow history (server/flow-store's FlowHistory has it). */
export interface InvestigationHistory {
  readonly store: Pick<FlowStore, "flows">;
  coverage(fresh?: boolean): Promise<HistoryCoverage>;
}

export type ReferencePlan =
  { readonly kind: "reference"; readonly reference: FlowReference; readonly flowNamespaces: NamespacePair[] } | { readonly kind: "copy"; readonly reason: string };

export interface PlanOptions {
  /** How long a save waits for the recorder to write past the window's end. */
  readonly waitMs?: number;
  readonly pollMs?: number;
  readonly signal?: AbortSignal;
  /** The selected flow's id (uuid): a reference must hold it, or the drawer would not find it. */
  readonly selectedFlow?: string | null;
}

const DEFAULT_WAIT_MS = 10_000;

/**
 * Whether a view's window can be saved as a reference, and the reference: decided from the
 * history's own figures (what it keeps, how far back it reaches, the newest flow written) and
 * from the matching flows themselves, counted now.
 */
export async function planReference(
  history: InvestigationHistory | undefined,
  view: string,
  access: NamespaceAccess,
  now: Date,
  options: PlanOptions = {},
): Promise<ReferencePlan> {
  if (history === undefined) return { kind: "copy", reason: "flow history is off" };
  const parsed = parseFlowRequest(new URLSearchParams(view), now, access);
  if (!parsed.ok) return { kind: "copy", reason: `the view is not a flow query (${parsed.problem.param}: ${parsed.problem.message})` };
  const { sinceNs, untilNs, filters } = parsed.subscription;
  if (sinceNs === undefined || untilNs === undefined) return { kind: "copy", reason: "the view has no fixed time window" };

  // Waiting, only the newest flow written matters, which the recorder's status (or, reading, a
  // refresh every 2 s) holds without asking the store; how far back it reaches is read fresh once
  // (ClickHouse scans for it).
  let coverage = await history.coverage(false);
  if (coverage.keep !== "all") return { kind: "copy", reason: "the flow history keeps forwarded flows only as counts (rollup)" };
  // The recorder writes about once a second: a window that ends now is in the store a few seconds later.
  const deadline = performance.now() + (options.waitMs ?? DEFAULT_WAIT_MS);
  while (!written(coverage, untilNs)) {
    if (coverage.behind) return { kind: "copy", reason: "the flow history's recorder is behind" };
    if (performance.now() >= deadline || options.signal?.aborted) return { kind: "copy", reason: "the flow history has not recorded the window's end yet" };
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 250));
    coverage = await history.coverage(false);
  }
  coverage = await history.coverage(true);
  if (coverage.oldestNs === null || coverage.oldestNs > sinceNs) return { kind: "copy", reason: "the flow history does not reach back to the window's start" };

  const whitelist = filters.whitelist.map(filterJson);
  const blacklist = filters.blacklist.map(filterJson);
  const reference = { whitelist, blacklist, sinceNs: String(sinceNs), untilNs: String(untilNs), count: 0 };
  const pairs = new Map<string, NamespacePair>();
  let count = 0;
  let selectedFound = !options.selectedFlow;
  for await (const { response: flow } of referencedFlows(history.store, reference, options.signal)) {
    if (++count > MAX_FLOWS) return { kind: "copy", reason: `the window holds more than ${MAX_FLOWS} flows` };
    if (!selectedFound && (flow.responseTypes.value as Flow).uuid === options.selectedFlow) selectedFound = true;
    const [src, dst] = namespacesOf(flow);
    // The scope is in the filters; a flow outside it would be a bug, never something to share.
    if (!flowVisible(access, src, dst)) return { kind: "copy", reason: "the window holds flows outside the saver's namespaces" };
    const key = `${src}\u0000${dst}`;
    if (!pairs.has(key)) {
      if (pairs.size >= MAX_NAMESPACE_PAIRS) return { kind: "copy", reason: `the window spans more than ${MAX_NAMESPACE_PAIRS} pairs of namespaces` };
      pairs.set(key, [src, dst]);
    }
  }
  if (options.signal?.aborted) return { kind: "copy", reason: "the save was cancelled" };
  // The browser's buffer can hold flows from before the window (a live view's rows are counted, not timed).
  if (!selectedFound) return { kind: "copy", reason: "the selected flow is not among the window's stored flows" };
  return { kind: "reference", reference: { ...reference, count }, flowNamespaces: [...pairs.values()] };
}

function written(c: HistoryCoverage, untilNs: bigint): boolean {
  return c.newestWrittenNs !== null && c.newestWrittenNs >= untilNs + SEAM_GRACE_NS;
}

function filterJson(f: FlowFilter): JsonValue {
  return toJson(FlowFilterSchema, f);
}

interface ReferencedFlow {
  readonly stored: StoredFlow;
  /** Lazily decoded: its Flow message is only built when read (filters, namespaces); its bounded JSON in `wire`. */
  readonly response: RelayResponse;
}

/** The stored flows a reference points at, oldest first. */
export async function* referencedFlows(store: Pick<FlowStore, "flows">, ref: FlowReference, signal?: AbortSignal): AsyncGenerator<ReferencedFlow> {
  // Decoding every flow to match it costs more than reading it: without filters, none is decoded.
  const filtered = ref.whitelist.length > 0 || ref.blacklist.length > 0;
  const match = compileFlowFilters(ref.whitelist.map(parseFilter), ref.blacklist.map(parseFilter));
  const decoder = new GetFlowsDecoder();
  for await (const stored of store.flows({ sinceNs: BigInt(ref.sinceNs), untilNs: BigInt(ref.untilNs), signal })) {
    if (signal?.aborted) return;
    const response = storedResponse(stored, decoder);
    if (response.responseTypes.case === "flow" && (!filtered || match(response.responseTypes.value))) yield { stored, response };
  }
}

function parseFilter(json: unknown): FlowFilter {
  return fromJson(FlowFilterSchema, json as JsonValue);
}

function namespacesOf(r: GetFlowsResponse): NamespacePair {
  const flow = r.responseTypes.value as Flow;
  return [flow.source?.namespace ?? "", flow.destination?.namespace ?? ""];
}

/**
 * The reference's flows as `hubble observe -o jsonpb` lines (the form copies are served in), only
 * those `access` may see: the namespaces recorded at save time decided whether it opens at all;
 * this keeps a store that changed since from showing more.
 */
export async function* referencedFlowLines(store: Pick<FlowStore, "flows">, ref: FlowReference, access: NamespaceAccess, signal?: AbortSignal): AsyncGenerator<string> {
  for await (const f of visibleFlows(store, ref, access, signal)) yield jsonpbLine(f);
}

async function* visibleFlows(store: Pick<FlowStore, "flows">, ref: FlowReference, access: NamespaceAccess, signal?: AbortSignal): AsyncGenerator<ReferencedFlow> {
  for await (const f of referencedFlows(store, ref, signal)) {
    if (access.all) {
      yield f;
      continue;
    }
    const [src, dst] = namespacesOf(f.response);
    if (flowVisible(access, src, dst)) yield f;
  }
}

const utf8 = new TextDecoder();

/**
 * The line `getFlowsResponseToJson` writes (`{"flow":…,"node_name":…,"time":…}`), from the bounded
 * JSON the lazy decoder already made of the flow's bytes: turning the message into JSON again
 * took a third of the time of reading a reference. The message path where that JSON is missing.
 */
function jsonpbLine({ stored, response }: ReferencedFlow): string {
  const wire = response.wire;
  const time = stored.timeNs >= 0n ? timestampJsonText(Number(stored.timeNs / 1_000_000_000n), Number(stored.timeNs % 1_000_000_000n)) : undefined;
  if (!wire?.json || time === undefined) return getFlowsResponseToJson(response);
  return `{"flow":${utf8.decode(wire.json)}${stored.node === "" ? "" : `,"node_name":${JSON.stringify(stored.node)}`},"time":"${time}"}`;
}

/**
 * What is said of a reference without reading its flows: its window, the count saved, and how far
 * back the flow history reaches now (its own cached figures). How many of its flows remain is
 * learnt from the one read of them (`referencedFlowLines`, counted by the browser): reading them
 * here too would read the store twice for each opening.
 */
export async function referenceView(history: InvestigationHistory | undefined, ref: FlowReference): Promise<FlowReferenceView> {
  const base = { since: isoOf(BigInt(ref.sinceNs)), until: isoOf(BigInt(ref.untilNs)), savedCount: ref.count };
  if (history === undefined) return { ...base, history: "off", reachesBack: null };
  const coverage = await history.coverage(false);
  return { ...base, history: "on", reachesBack: coverage.oldestNs === null ? null : isoOf(coverage.oldestNs) };
}

/** When the flow history's figures could not be read: the count read from its flows still decides. */
export function unknownReferenceView(ref: FlowReference): FlowReferenceView {
  return { since: isoOf(BigInt(ref.sinceNs)), until: isoOf(BigInt(ref.untilNs)), savedCount: ref.count, history: "unknown", reachesBack: null };
}

function isoOf(ns: bigint): string {
  return new Date(Number(ns / 1_000_000n)).toISOString();
}
