import { clone, create, toJsonString } from "@bufbuild/protobuf";
import { type FlowFilter, FlowFilterSchema } from "@/proto/gen/flow/flow_pb";
import { parseNamespacedName } from "@/lib/filters/pod";

// Namespace-scoped access, as Hubble filters: who may see which flows. A person with access to a
// set of namespaces A sees a flow when its source or its destination is in A, exactly what
// `hubble observe --namespace a --namespace b` selects. The restriction is ANDed into the view's
// own whitelist and sent to the relay, so flows outside A never leave it for this person (the
// hub's upstreams and aggregations are keyed by the filters, so people with different access
// never share a stream either).
//
// FlowFilter semantics (shared/hubble-api-facts.md §2.1): fields inside one filter are ANDed,
// values of one repeated field ORed, the whitelist's filters ORed, an empty whitelist matches
// everything. `source_pod: ["ns/"]` matches every endpoint whose namespace is exactly `ns`.

/** Which namespaces a person may see: every one, or exactly these (possibly none). */
export type NamespaceAccess = { readonly all: true } | { readonly all: false; readonly namespaces: ReadonlySet<string> };

export const ALL_NAMESPACES: NamespaceAccess = { all: true };

export function namespacesAccess(namespaces: Iterable<string>): NamespaceAccess {
  return { all: false, namespaces: new Set(namespaces) };
}

export function canSeeNamespace(access: NamespaceAccess, namespace: string): boolean {
  return access.all || (namespace !== "" && access.namespaces.has(namespace));
}

/** A flow is visible when its source or its destination namespace is one the person may see. */
export function flowVisible(access: NamespaceAccess, sourceNamespace: string | undefined, destinationNamespace: string | undefined): boolean {
  return access.all || canSeeNamespace(access, sourceNamespace ?? "") || canSeeNamespace(access, destinationNamespace ?? "");
}

/** A stable text for the access (cache keys, logs): "*" or the sorted namespaces. */
export function accessKey(access: NamespaceAccess): string {
  return access.all ? "*" : [...access.namespaces].sort().join(",");
}

export interface ScopedFilters {
  readonly whitelist: readonly FlowFilter[];
  readonly blacklist: readonly FlowFilter[];
}

export type RestrictResult = { ok: true; filters: ScopedFilters } | { ok: false; message: string };

/**
 * The view's filters narrowed to the flows `access` may see: each whitelist filter W becomes
 * `W ∧ source in A` and `W ∧ destination in A` (an empty whitelist is one empty W). Where W already
 * names pods or namespaces on that side, the side keeps only its entries inside A (an entry for
 * any namespace, `/name`, becomes one per namespace of A); a side left with none is dropped. The
 * blacklist only removes flows, so it stays as it is. `ok: false` when nothing the view asks for
 * is visible: the caller refuses the request rather than send an empty whitelist, which Hubble
 * reads as "everything".
 */
export function restrictFilters(filters: ScopedFilters, access: NamespaceAccess): RestrictResult {
  if (access.all) return { ok: true, filters };
  const allowed = [...access.namespaces].sort();
  if (allowed.length === 0) return { ok: false, message: "you may not see any namespace; ask your administrator for access" };
  const base = filters.whitelist.length > 0 ? filters.whitelist : [create(FlowFilterSchema)];
  const whitelist: FlowFilter[] = [];
  const seen = new Set<string>();
  for (const w of base) {
    for (const side of ["sourcePod", "destinationPod"] as const) {
      const entries = w[side].length === 0 ? allowed.map((ns) => `${ns}/`) : narrow(w[side], access.namespaces, allowed);
      if (entries.length === 0) continue;
      const f = clone(FlowFilterSchema, w);
      f[side] = entries;
      const key = toJsonString(FlowFilterSchema, f);
      if (seen.has(key)) continue;
      seen.add(key);
      whitelist.push(f);
    }
  }
  if (whitelist.length === 0) {
    return { ok: false, message: "the view only asks for flows of namespaces you may not see" };
  }
  return { ok: true, filters: { whitelist, blacklist: filters.blacklist } };
}

/** Pod filter entries ("[namespace/]prefix") kept, or made specific, within the allowed namespaces. */
function narrow(entries: readonly string[], allowed: ReadonlySet<string>, sorted: readonly string[]): string[] {
  const out: string[] = [];
  for (const entry of entries) {
    const nn = parseNamespacedName(entry);
    if (nn.namespace === "") {
      // "/prefix": that prefix in any namespace → in each allowed one. ("" alone is a build error,
      // left for the filter compiler to report.)
      if (nn.prefix === "") out.push(entry);
      else for (const ns of sorted) out.push(`${ns}/${nn.prefix}`);
    } else if (allowed.has(nn.namespace)) {
      out.push(entry);
    }
  }
  return out;
}
