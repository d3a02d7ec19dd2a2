// The machinery behind flowDetailSections: the JSON's leaf paths and the Collector that places
// each leaf in exactly one field (a path is claimed once, by the first field that shows it).
import type { JsonObject, JsonValue } from "@bufbuild/protobuf";
import { MAX_LIST, MAX_TEXT } from "../flow-model";
import type { FilterEntry } from "../filter-model/entry";
import { negateFilterEntry } from "./filter-entries";

export type SectionId = "summary" | "source" | "destination" | "l4" | "l7" | "policy" | "trace" | "node" | "other";

export interface DetailField {
  /** Unique within the flow: the first JSON path shown, or `derived:<name>`. */
  readonly key: string;
  readonly label: string;
  /** Plain text, at most MAX_TEXT (+1) characters. */
  readonly value: string;
  /** The JSON leaf paths this field shows (`l4.TCP.flags.SYN`, `source.labels[2]`); empty when derived. */
  readonly paths: readonly string[];
  /** The filter-bar entry selecting flows with this value, when one exists. */
  readonly filter?: FilterEntry;
  /** Its negation. */
  readonly exclude?: FilterEntry;
}

export interface Section {
  readonly id: SectionId;
  readonly title: string;
  readonly fields: readonly DetailField[];
}

export type Seg = string | number;

export const MAX_LABEL = 256;

export function bound(text: string, max = MAX_TEXT): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

export function pathText(segs: readonly Seg[]): string {
  let out = "";
  for (const s of segs) out += typeof s === "number" ? `[${s}]` : out === "" ? s : `.${s}`;
  return out;
}

export function isObject(v: JsonValue | undefined): v is JsonObject {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** Every leaf under `value`: scalars, null, `{}` and `[]`. */
export function leafPaths(value: JsonValue, prefix: readonly Seg[] = [], out: string[] = []): string[] {
  if (Array.isArray(value) && value.length > 0) value.forEach((v, i) => leafPaths(v, [...prefix, i], out));
  else if (isObject(value) && Object.keys(value).length > 0) for (const k of Object.keys(value)) leafPaths(value[k], [...prefix, k], out);
  else out.push(pathText(prefix));
  return out;
}

export function scalarText(v: JsonValue | undefined): string {
  if (typeof v === "string") return bound(v);
  if (v === undefined) return "";
  if (v === null || typeof v !== "object") return String(v);
  return bound(JSON.stringify(v));
}

export function num(v: JsonValue | undefined): number | undefined {
  if (typeof v === "number") return v;
  if (typeof v === "string" && /^-?\d+$/.test(v)) return Number(v);
  return undefined;
}

export function str(v: JsonValue | undefined): string {
  return typeof v === "string" ? v : "";
}

export function isLeaf(v: JsonValue | undefined): boolean {
  return v !== undefined && !(isObject(v) && Object.keys(v).length > 0) && !(Array.isArray(v) && v.length > 0);
}

/** Collects fields; a path is claimed once, by the first field that shows it. */
export class Collector {
  readonly fields: Record<SectionId, DetailField[]> = {
    summary: [],
    source: [],
    destination: [],
    l4: [],
    l7: [],
    policy: [],
    trace: [],
    node: [],
    other: [],
  };
  private readonly claimed = new Set<string>();
  private readonly leaves: ReadonlySet<string>;

  constructor(readonly raw: JsonObject) {
    this.leaves = new Set(leafPaths(raw));
  }

  get(segs: readonly Seg[]): JsonValue | undefined {
    let v: JsonValue | undefined = this.raw;
    for (const s of segs) {
      if (typeof s === "number") v = Array.isArray(v) ? v[s] : undefined;
      else v = isObject(v) && Object.prototype.hasOwnProperty.call(v, s) ? v[s] : undefined;
      if (v === undefined) return undefined;
    }
    return v;
  }

  /** Leaf paths among `segsList` that exist and are not yet claimed. */
  private available(segsList: readonly (readonly Seg[])[]): string[] {
    return segsList.map(pathText).filter((p) => this.leaves.has(p) && !this.claimed.has(p));
  }

  add(section: SectionId, label: string, value: string, claims: readonly (readonly Seg[])[], filter?: FilterEntry, derivedKey?: string): boolean {
    const paths = this.available(claims);
    if (paths.length === 0 && !derivedKey) return false;
    for (const p of paths) this.claimed.add(p);
    this.fields[section].push({
      key: paths[0] ?? `derived:${derivedKey}`,
      label: bound(label, MAX_LABEL),
      value: bound(value),
      paths,
      ...(filter ? { filter, exclude: negateFilterEntry(filter) } : {}),
    });
    return true;
  }

  /** A scalar leaf as one field. */
  leaf(section: SectionId, label: string, segs: readonly Seg[], opts: { text?: (v: JsonValue) => string; filter?: (v: JsonValue) => FilterEntry | undefined } = {}): void {
    const v = this.get(segs);
    if (!isLeaf(v)) return;
    this.add(section, label, opts.text ? opts.text(v!) : scalarText(v), [segs], opts.filter?.(v!));
  }

  /** One field per item of a list of scalars; past MAX_LIST, one field counts the rest. */
  list(section: SectionId, label: string, segs: readonly Seg[], filter?: (item: string) => FilterEntry | undefined): void {
    const v = this.get(segs);
    if (!Array.isArray(v)) return this.leaf(section, label, segs);
    v.forEach((item, i) => {
      if (i >= MAX_LIST) return;
      if (isLeaf(item)) this.add(section, label, scalarText(item), [[...segs, i]], typeof item === "string" ? filter?.(item) : undefined);
    });
    this.more(section, label, segs, v.length);
  }

  /** Claims the items past MAX_LIST of a list in one "N more" field. */
  more(section: SectionId, label: string, segs: readonly Seg[], length: number): void {
    if (length <= MAX_LIST) return;
    const rest: string[] = [];
    const v = this.get(segs) as JsonValue[];
    for (let i = MAX_LIST; i < length; i++) leafPaths(v[i], [...segs, i], rest);
    const paths = rest.filter((p) => !this.claimed.has(p));
    for (const p of paths) this.claimed.add(p);
    this.fields[section].push({ key: paths[0] ?? `more:${pathText(segs)}`, label: `${label} (more)`, value: `${length - MAX_LIST} more not shown`, paths });
  }

  /** Every leaf under `segs` not placed yet, labelled by its path below `segs`. */
  rest(section: SectionId, labelPrefix: string, segs: readonly Seg[]): void {
    const v = this.get(segs);
    if (v === undefined) return;
    const base = pathText(segs);
    for (const p of leafPaths(v, segs)) {
      if (this.claimed.has(p)) continue;
      this.claimed.add(p);
      const sub = p.slice(base.length).replace(/^\./, "");
      this.fields[section].push({ key: p, label: bound(sub ? `${labelPrefix} ${sub}` : labelPrefix, MAX_LABEL), value: scalarText(this.getPath(p)), paths: [p] });
    }
  }

  /** Everything not placed by any rule. */
  other(): void {
    for (const p of this.leaves) {
      if (this.claimed.has(p)) continue;
      this.claimed.add(p);
      this.fields.other.push({ key: p, label: bound(p, MAX_LABEL), value: scalarText(this.getPath(p)), paths: [p] });
    }
  }

  private getPath(p: string): JsonValue | undefined {
    // Leaf paths come from leafPaths, whose keys are the raw JSON keys; walk them back.
    return this.pathValues.get(p);
  }

  private _pathValues: Map<string, JsonValue> | undefined;
  private get pathValues(): Map<string, JsonValue> {
    if (!this._pathValues) {
      const m = new Map<string, JsonValue>();
      const walk = (v: JsonValue, prefix: Seg[]) => {
        if (Array.isArray(v) && v.length > 0) v.forEach((x, i) => walk(x, [...prefix, i]));
        else if (isObject(v) && Object.keys(v).length > 0) for (const k of Object.keys(v)) walk(v[k], [...prefix, k]);
        else m.set(pathText(prefix), v);
      };
      walk(this.raw, []);
      this._pathValues = m;
    }
    return this._pathValues;
  }
}
