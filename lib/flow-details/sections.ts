// Every field of a flow in Hubble's JSON form, grouped for the details drawer. The invariant the
// tests pin: each leaf of the JSON (a scalar, an empty object or list, one list item's scalar) is
// shown by exactly one field of exactly one section; whatever no rule places lands in "Other", so
// a field from a newer Cilium is never hidden. Values are text, cut to MAX_TEXT characters, and
// lists to MAX_LIST items (the rest is counted in one field).
//
// collector.ts places leaves in fields; section-rules.ts says which field and section each goes to.
import type { JsonObject } from "@bufbuild/protobuf";
import { Collector, type Section, type SectionId } from "./collector";
import { endpoint, l4, l7, node, policy, summary, trace } from "./section-rules";

export { leafPaths, type DetailField, type Section, type SectionId } from "./collector";

export const SECTION_TITLES: Readonly<Record<SectionId, string>> = {
  summary: "Summary",
  source: "Source",
  destination: "Destination",
  l4: "L4",
  l7: "L7",
  policy: "Policy",
  trace: "Trace",
  node: "Node",
  other: "Other",
};

const SECTION_ORDER: readonly SectionId[] = ["summary", "source", "destination", "l4", "l7", "policy", "trace", "node", "other"];

const cache = new WeakMap<JsonObject, Section[]>();

/**
 * The flow's fields grouped into sections, in display order (all nine, some possibly empty).
 * `raw` is the `flow` object of a `hubble observe -o jsonpb` line. Cached per object.
 */
export function flowDetailSections(raw: JsonObject): Section[] {
  const hit = cache.get(raw);
  if (hit) return hit;
  const c = new Collector(raw);
  summary(c);
  endpoint(c, "source");
  endpoint(c, "destination");
  l4(c);
  l7(c);
  policy(c);
  trace(c);
  node(c);
  c.other();
  const sections = SECTION_ORDER.map((id) => ({ id, title: SECTION_TITLES[id], fields: c.fields[id] }));
  cache.set(raw, sections);
  return sections;
}
