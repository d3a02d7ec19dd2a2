// FlowQuery ⇄ GetFlowsRequest whitelist/blacklist. The building itself, which follows the hubble
// CLI step by step, lives in tracker.ts; this file validates, and reads filters back.
import { toJson, type JsonObject, type JsonValue } from "@bufbuild/protobuf";
import { FlowFilterSchema, type FlowFilter } from "../../proto/gen/flow/flow_pb";
import { FILTER_KINDS, KIND_SPECS, ValueError, type Direction, type FilterKind, type ListField, type VerdictName } from "./kinds";
import { buildHubbleFilters as build, listField as list, type HubbleFilters } from "./tracker";
import { validateFlowQuery, type FlowQuery } from "./query";

export type { HubbleFilters };

export class InvalidFlowQueryError extends Error {
  constructor(readonly issues: { param: string; message: string }[]) {
    super(issues.map((i) => i.message).join("; "));
    this.name = "InvalidFlowQueryError";
  }
}

/**
 * FlowQuery → GetFlowsRequest whitelist/blacklist. Throws InvalidFlowQueryError for a query that
 * validateFlowQuery rejects (parse the query with the URL or command parsers to get a 400 first).
 */
export function toHubbleFilters(q: FlowQuery): HubbleFilters {
  const issues = validateFlowQuery(q);
  if (issues.length > 0) throw new InvalidFlowQueryError(issues);
  return build(q);
}

// ---- reverse: whitelist/blacklist → FlowQuery ----------------------------------------------

export type FromHubbleResult = { ok: true; query: FlowQuery } | { ok: false; error: string };

const HANDLED_FIELDS = new Set<string>(
  FILTER_KINDS.flatMap((k) => {
    const s = KIND_SPECS[k];
    return [s.field, s.sourceField, s.destinationField].filter((f): f is ListField => f !== undefined);
  }),
);

class Unrepresentable extends Error {}

function keyOf(spec: (typeof KIND_SPECS)[FilterKind], element: unknown): string {
  try {
    return spec.fromProto(element);
  } catch (e) {
    if (e instanceof ValueError) throw new Unrepresentable(`${spec.kind}: ${e.message}`);
    throw e;
  }
}

/** Multiset difference a − b, keeping a's order. */
function minus(a: string[], b: string[]): string[] {
  const rest = [...b];
  return a.filter((x) => {
    const i = rest.indexOf(x);
    if (i < 0) return true;
    rest.splice(i, 1);
    return false;
  });
}
/** Multiset intersection, in a's order. */
function intersect(a: string[], b: string[]): string[] {
  const rest = [...b];
  return a.filter((x) => {
    const i = rest.indexOf(x);
    if (i < 0) return false;
    rest.splice(i, 1);
    return true;
  });
}
const sameMultiset = (a: string[], b: string[]) => a.length === b.length && minus(a, b).length === 0;
const isNamespaceOnly = (v: string) => /^[^/]+\/$/.test(v);

interface Decomposed {
  entries: { kind: FilterKind; direction: Direction; value: string }[];
  /** Namespaces applied to the left's source and the right's destination (`--namespace`). */
  namespaces: string[];
}

/** Reads one tracker's filters (1 or 2) back into entries; `extractNamespaces` reads `ns/` pods as namespaces. */
function decompose(filters: FlowFilter[], extractNamespaces: boolean): Decomposed {
  if (filters.length > 2) {
    throw new Unrepresentable(`${filters.length} filters in one list; the hubble CLI builds at most 2 (a source-side and a destination-side one)`);
  }
  for (const f of filters) {
    for (const [name, value] of Object.entries(f)) {
      if (name.startsWith("$") || HANDLED_FIELDS.has(name)) continue;
      if (name === "experimental") {
        if (f.experimental && f.experimental.celExpression.length > 0) throw new Unrepresentable("CEL expressions have no filter-bar entry");
        continue;
      }
      if (Array.isArray(value) && value.length > 0) throw new Unrepresentable(`field ${name} has no filter-bar entry`);
    }
  }
  const [left, right = left] = filters;
  const out: Decomposed = { entries: [], namespaces: [] };
  const podsL = { src: [...left.sourcePod], dst: [...left.destinationPod] };
  const podsR = { src: [...right.sourcePod], dst: [...right.destinationPod] };
  if (extractNamespaces) {
    // `--from-namespace ns` / `--to-namespace ns` leave `ns/` on both filters' same side.
    for (const [side, direction] of [
      ["src", "from"],
      ["dst", "to"],
    ] as const) {
      for (const v of podsL[side].filter((p) => isNamespaceOnly(p) && podsR[side].includes(p))) {
        out.entries.push({ kind: "namespace", direction, value: v.slice(0, -1) });
        podsL[side] = minus(podsL[side], [v]);
        podsR[side] = minus(podsR[side], [v]);
      }
    }
    // `--namespace ns` leaves `ns/` on the left's source and/or the right's destination.
    const agnostic = [...minus(podsL.src, podsR.src), ...minus(podsR.dst, podsL.dst)].filter(isNamespaceOnly);
    for (const v of new Set(agnostic)) {
      out.namespaces.push(v.slice(0, -1));
      podsL.src = podsL.src.filter((p) => p !== v);
      podsR.dst = podsR.dst.filter((p) => p !== v);
    }
  }
  for (const kind of FILTER_KINDS) {
    const spec = KIND_SPECS[kind];
    if (kind === "namespace") continue;
    const keys = (f: FlowFilter, field: ListField) => list(f, field).map((e) => keyOf(spec, e));
    if (!spec.directional) {
      const l = keys(left, spec.field!);
      const r = keys(right, spec.field!);
      if (!sameMultiset(l, r)) throw new Unrepresentable(`${spec.field} differs between the two filters`);
      for (const value of l) out.entries.push({ kind, direction: "either", value });
      continue;
    }
    const pods = kind === "pod";
    const lSrc = pods ? podsL.src : keys(left, spec.sourceField!);
    const lDst = pods ? podsL.dst : keys(left, spec.destinationField!);
    const rSrc = pods ? podsR.src : keys(right, spec.sourceField!);
    const rDst = pods ? podsR.dst : keys(right, spec.destinationField!);
    const from = intersect(lSrc, rSrc);
    const to = intersect(lDst, rDst);
    const eitherL = minus(lSrc, from);
    const eitherR = minus(rDst, to);
    if (!sameMultiset(eitherL, eitherR) || minus(lDst, to).length > 0 || minus(rSrc, from).length > 0) {
      throw new Unrepresentable(`${spec.sourceField}/${spec.destinationField} do not form a source/destination pair`);
    }
    for (const value of eitherL) out.entries.push({ kind, direction: "either", value });
    for (const value of from) out.entries.push({ kind, direction: "from", value });
    for (const value of to) out.entries.push({ kind, direction: "to", value });
  }
  return out;
}

/** JSON of a filter list with list order ignored, for "builds the same filters" comparisons. */
export function canonicalFiltersJson(filters: FlowFilter[]): string[] {
  const sortDeep = (v: JsonValue): JsonValue => {
    if (Array.isArray(v)) return v.map(sortDeep).sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
    if (v && typeof v === "object") {
      const o: JsonObject = {};
      for (const k of Object.keys(v).sort()) o[k] = sortDeep((v as JsonObject)[k]);
      return o;
    }
    return v;
  };
  return filters.map((f) => JSON.stringify(sortDeep(toJson(FlowFilterSchema, f, { useProtoFieldName: true })))).sort();
}

const sameFilters = (a: FlowFilter[], b: FlowFilter[]) => {
  const x = canonicalFiltersJson(a);
  const y = canonicalFiltersJson(b);
  return x.length === y.length && x.every((s, i) => s === y[i]);
};

/**
 * Hubble whitelist/blacklist → FlowQuery, for filters the CLI (or toHubbleFilters) could have
 * built. The result is checked by building it again: it yields the same filters, up to the order
 * of list values. Anything else (more than two filters per list, fields without an entry such as
 * `reply` or CEL, left/right shapes the CLI cannot produce) is an error naming the reason.
 * `since`/`until` are not part of the filters and are left unset.
 */
export function fromHubbleFilters(filters: HubbleFilters): FromHubbleResult {
  const attempt = (extractNamespaces: boolean): FlowQuery => {
    const white = filters.whitelist.length ? decompose(filters.whitelist, extractNamespaces) : { entries: [], namespaces: [] };
    const black = filters.blacklist.length ? decompose(filters.blacklist, extractNamespaces) : { entries: [], namespaces: [] };
    const q: FlowQuery = { namespaces: white.namespaces, verdicts: [], filters: [] };
    for (const e of white.entries) {
      if (e.kind === "verdict") q.verdicts.push(e.value as VerdictName);
      else q.filters.push({ ...e, negated: false });
    }
    for (const ns of black.namespaces) q.filters.push({ kind: "namespace", direction: "either", value: ns, negated: true });
    for (const e of black.entries) q.filters.push({ ...e, negated: true });
    return q;
  };
  let firstError = "";
  for (const extractNamespaces of [true, false]) {
    try {
      const q = attempt(extractNamespaces);
      if (validateFlowQuery(q).length > 0) continue;
      const rebuilt = build(q);
      if (sameFilters(rebuilt.whitelist, filters.whitelist) && sameFilters(rebuilt.blacklist, filters.blacklist)) {
        return { ok: true, query: q };
      }
    } catch (e) {
      if (!(e instanceof Unrepresentable)) throw e;
      firstError ||= e.message;
    }
  }
  return {
    ok: false,
    error: `these filters cannot be shown as filter-bar entries: ${firstError || "no combination of entries builds exactly these filters"}`,
  };
}
