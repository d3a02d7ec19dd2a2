// What a filter kind is: the list of kinds, their spellings, and the row every kind has in the
// table (kinds.ts), with the builders the table's parts use.
import type { FlowFilter } from "../../proto/gen/flow/flow_pb";

export type Direction = "either" | "from" | "to";

export const FILTER_KINDS = [
  "pod",
  "namespace",
  "label",
  "ip",
  "fqdn",
  "identity",
  "workload",
  "service",
  "port",
  "cluster",
  "verdict",
  "protocol",
  "http-status",
  "http-method",
  "http-path",
  "http-url",
  "http-header",
  "drop-reason",
  "node",
  "node-label",
  "traffic-direction",
  "type",
  "uuid",
  "tcp-flags",
  "ip-version",
  "snat-ip",
  "interface",
  "trace-id",
  "encrypted",
] as const;
export type FilterKind = (typeof FILTER_KINDS)[number];

/** Accepted spellings that parse to a canonical kind (`dns=` is hubble-ui's name for the FQDN filter). */
export const KIND_ALIASES: Readonly<Record<string, FilterKind>> = {
  dns: "fqdn",
  "tcp-flag": "tcp-flags",
  "node-name": "node",
  "drop-reason-desc": "drop-reason",
  "http-status-code": "http-status",
  ns: "namespace",
};

/** A FlowFilter field holding a list (every FlowFilter field but `experimental`). */
export type ListField = Exclude<keyof FlowFilter, "$typeName" | "$unknown" | "experimental">;

/** Thrown by a kind's `normalize`; the message says what is wrong with the value. */
export class ValueError extends Error {}

export interface KindSpec {
  kind: FilterKind;
  /** Takes `from:` / `to:` (else the CLI builds one filter per side, OR'ed). */
  directional: boolean;
  /** CLI flag without dashes; directional kinds also have `from-<flag>` and `to-<flag>`. */
  flag: string;
  /** CLI one-letter shorthand of the direction-less flag, if any. */
  short?: string;
  /** What a value looks like, for error messages. */
  expects: string;
  example: string;
  /** Checks a value and returns its canonical spelling; throws ValueError. */
  normalize(raw: string): string;
  /** FlowFilter field(s). Absent only for `namespace`, which the CLI applies as a pod/service modifier. */
  field?: ListField;
  sourceField?: ListField;
  destinationField?: ListField;
  /** Canonical value → the element stored in the FlowFilter field. */
  toProto(value: string): unknown;
  /** FlowFilter element → canonical value; throws ValueError when no entry can produce it. */
  fromProto(element: unknown): string;
}

export function isFilterKind(s: string): s is FilterKind {
  return (FILTER_KINDS as readonly string[]).includes(s);
}

const asString = (v: string) => v;
const fromString = (e: unknown) => String(e);

type SpecInput = Omit<KindSpec, "toProto" | "fromProto"> & Partial<Pick<KindSpec, "toProto" | "fromProto">>;
export const spec = (s: SpecInput): KindSpec => ({ toProto: asString, fromProto: fromString, ...s });
export const directional = (flag: string, src: ListField, dst: ListField, rest: Omit<SpecInput, "kind" | "flag" | "directional">) =>
  ({ flag, directional: true, sourceField: src, destinationField: dst, ...rest }) as const;
