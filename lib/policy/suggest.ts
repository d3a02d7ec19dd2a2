// Suggestions for denied flows: the smallest policy change that would allow it, as YAML the
// user can review and apply. For a default-deny this is the isolating policy with one rule
// added (the whole object, so `kubectl apply` keeps its other rules); for an L7 denial, one
// http/dns rule added to the port's rules; for a deny rule, a note that it must be narrowed
// (allow rules cannot override deny). Always worded as a suggestion.

import { stringify } from "yaml";
import { bound, type FlowFacts, type FlowSide } from "./flow";
import { l4Text, type SideResult } from "./evaluate";
import { NAMESPACE_LABELS_PREFIX, POD_NAMESPACE } from "./labels";
import type { CompiledPolicySet, RuleBlock } from "./model";
import { describeSide, policyText } from "./reason";
import type { Direction } from "./types";

type Obj = Record<string, unknown>;
type Suggestion = { summary: string; yaml: string };

const APP_KEYS = ["app", "app.kubernetes.io/name", "k8s-app", "name", "component", "app.kubernetes.io/component"];

/** One label that names the peer's workload (app=…), or undefined. */
function workloadLabel(peer: FlowSide): { key: string; value: string } | undefined {
  const own = peer.labels.labels.filter(
    (l) => l.source === "k8s" && !l.key.startsWith("io.kubernetes.") && !l.key.startsWith("io.cilium.") && !l.key.startsWith(NAMESPACE_LABELS_PREFIX),
  );
  for (const k of APP_KEYS) {
    const l = own.find((x) => x.key === k);
    if (l) return { key: l.key, value: l.value };
  }
  // No app label: the label whose value names the pod (class=deathstar for deathstar-5hmds) is
  // the most specific; a shared one (org=empire) would allow far more than this workload.
  const named = peer.podName ? own.filter((x) => x.value !== "" && peer.podName.startsWith(x.value)).sort((a, b) => b.value.length - a.value.length)[0] : undefined;
  if (named) return { key: named.key, value: named.value };
  return own[0] ? { key: own[0].key, value: own[0].value } : undefined;
}

const ENTITY_LABELS = ["host", "remote-node", "kube-apiserver", "ingress", "health", "init", "unmanaged"];

function reservedEntity(peer: FlowSide): string | undefined {
  if (peer.kind === "host") return "host";
  return ENTITY_LABELS.find((e) => peer.labels.has("reserved", e));
}

function hostPrefix(ip: string): string {
  return ip.includes(":") ? `${ip}/128` : `${ip}/32`;
}

/** The peer part of a Cilium rule, and words for it. */
function ciliumPeer(peer: FlowSide, dir: Direction, sameNamespace: string | undefined): { fields: Obj; words: string } {
  const pre = dir === "ingress" ? "from" : "to";
  if (peer.kind === "pod") {
    const l = workloadLabel(peer);
    const ns = peer.labels.get("k8s", POD_NAMESPACE) ?? peer.namespace;
    const matchLabels: Obj = {};
    if (l) matchLabels[l.key] = l.value;
    if (ns !== sameNamespace) matchLabels[`k8s:${POD_NAMESPACE}`] = ns;
    return { fields: { [`${pre}Endpoints`]: [{ matchLabels }] }, words: `${l ? `${l.key}=${l.value}` : "all pods"} in namespace ${ns}` };
  }
  const entity = reservedEntity(peer);
  if (entity) return { fields: { [`${pre}Entities`]: [entity] }, words: `the ${entity} entity` };
  if (peer.ip) return { fields: { [`${pre}CIDR`]: [hostPrefix(peer.ip)] }, words: hostPrefix(peer.ip) };
  return { fields: { [`${pre}Entities`]: ["world"] }, words: "the world entity" };
}

function ciliumPorts(f: FlowFacts): { fields: Obj; words: string } {
  const l4 = f.l4;
  if (l4.proto === "TCP" || l4.proto === "UDP" || l4.proto === "SCTP") {
    return { fields: { toPorts: [{ ports: [{ port: String(l4.port), protocol: l4.proto }] }] }, words: ` on ${l4.port}/${l4.proto}` };
  }
  if (l4.proto === "ICMPv4" || l4.proto === "ICMPv6") {
    return { fields: { icmps: [{ fields: [{ type: l4.type, family: l4.proto === "ICMPv4" ? "IPv4" : "IPv6" }] }] }, words: ` for ${l4Text(l4)}` };
  }
  return { fields: {}, words: " on all ports" };
}

function cleanObject(obj: Readonly<Obj>): Obj {
  const copy = structuredClone(obj) as Obj;
  delete copy.status;
  const md = copy.metadata as Obj | undefined;
  if (md && typeof md === "object") {
    for (const k of ["managedFields", "creationTimestamp", "generation", "selfLink", "uid", "resourceVersion"]) delete md[k];
    const ann = md.annotations as Obj | undefined;
    if (ann && typeof ann === "object") {
      delete ann["kubectl.kubernetes.io/last-applied-configuration"];
      if (Object.keys(ann).length === 0) delete md.annotations;
    }
  }
  return copy;
}

/** The spec object a block came from, inside a cloned policy object. */
function specOf(obj: Obj, b: RuleBlock): Obj | undefined {
  if (b.prefix.startsWith("specs[")) {
    const i = Number(b.prefix.slice(6, b.prefix.indexOf("]")));
    const specs = obj.specs as unknown[];
    return Array.isArray(specs) && typeof specs[i] === "object" ? (specs[i] as Obj) : undefined;
  }
  return typeof obj.spec === "object" && obj.spec !== null ? (obj.spec as Obj) : undefined;
}

/** Walks `ingress[0].toPorts[1].rules` under a spec object. */
function walk(root: Obj, path: string): unknown {
  let cur: unknown = root;
  for (const tok of path.split(".")) {
    const m = /^([^[\]]+)((?:\[\d+\])*)$/.exec(tok);
    if (!m) return undefined;
    cur = (cur as Obj | undefined)?.[m[1]!];
    for (const idx of m[2]!.match(/\d+/g) ?? []) cur = Array.isArray(cur) ? cur[Number(idx)] : undefined;
  }
  return cur;
}

function render(obj: Obj): string {
  return stringify(obj, { lineWidth: 0 });
}

const REVIEW = "review it before applying";

export function suggestionFor(f: FlowFacts, c: CompiledPolicySet, side: FlowSide, dir: Direction, peer: FlowSide, r: SideResult): Suggestion | null {
  if (r.kind !== "deny-rule" && r.kind !== "l7-deny" && r.kind !== "default-deny") return null;
  // Everything the suggestion is built from; the same drop repeating hits the cache.
  const key = [
    r.kind,
    dir,
    r.kind === "deny-rule" ? `${r.match.block.prefix}${r.match.rule.path}@${policyText(r.match.block.policy)}` : "",
    r.kind === "l7-deny" ? `${r.primary.block.prefix}${r.l7.rules[0]!.path}@${policyText(r.primary.block.policy)}` : "",
    r.kind === "default-deny" ? r.isolating.map((b) => `${b.prefix}@${policyText(b.policy)}`).join(",") : "",
    side.rawLabels.join(","),
    side.namespace,
    peer.kind,
    peer.rawLabels.join(","),
    peer.namespace,
    peer.ip ?? "",
    l4Text(f.l4),
    f.l7?.kind === "http" ? `${f.l7.method} ${f.l7.path}` : f.l7?.kind === "dns" ? f.l7.query : f.l7?.kind === "kafka" ? `${f.l7.apiKey} ${f.l7.topic}` : "",
  ].join("\u0000");
  const hit = c.suggestionCache.get(key);
  if (hit !== undefined) return hit;
  const s = buildSuggestion(f, c, side, dir, peer, r);
  if (c.suggestionCache.size >= 2048) c.suggestionCache.clear();
  c.suggestionCache.set(key, s);
  return s;
}

function buildSuggestion(f: FlowFacts, c: CompiledPolicySet, side: FlowSide, dir: Direction, peer: FlowSide, r: SideResult): Suggestion | null {
  try {
    switch (r.kind) {
      case "deny-rule": {
        const b = r.match.block;
        const header =
          `# ${policyText(b.policy)} ${r.match.rule.path}: narrow this deny rule so it no longer matches ${describeSide(peer)} on ${l4Text(f.l4)}`.replace(/[\r\n]/g, " ") + "\n";
        return {
          summary: bound(
            `Suggestion: narrow or remove the deny rule ${r.match.rule.path} of ${policyText(b.policy)} — deny rules win over allow rules, so adding an allow rule cannot let ${describeSide(peer)} through; ${REVIEW}.`,
            400,
          ),
          yaml: header + render({ [r.match.rule.path.replace(/^.*\./, "").replace(/\[\d+\]$/, "")]: [r.match.rule.raw] }),
        };
      }
      case "l7-deny":
        return l7Suggestion(f, r);
      case "default-deny":
        return defaultDenySuggestion(f, c, side, dir, peer, r.isolating);
      default:
        return null;
    }
  } catch {
    return null;
  }
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function l7Suggestion(f: FlowFacts, r: Extract<SideResult, { kind: "l7-deny" }>): Suggestion | null {
  const b = r.primary.block;
  const section = r.l7.rules[0]!;
  const obj = cleanObject(b.source.object);
  const spec = specOf(obj, b);
  const relative = b.prefix ? section.path.slice(b.prefix.length) : section.path;
  const rules = spec ? (walk(spec, relative) as Obj | undefined) : undefined;
  if (!rules || typeof rules !== "object") return null;
  const req = f.l7;
  let words: string;
  if (req?.kind === "http") {
    const q = req.path.indexOf("?");
    const pathOnly = q >= 0 ? req.path.slice(0, q) : req.path;
    const rule: Obj = { method: req.method, path: escapeRegex(bound(pathOnly, 300)).replace(/…$/, ".*") + (q >= 0 ? "(\\?.*)?" : "") };
    ((rules.http ??= []) as unknown[]).push(rule);
    words = `an http rule for ${bound(`${req.method} ${pathOnly}`, 120)}`;
  } else if (req?.kind === "dns") {
    const name = req.query.replace(/\.$/, "");
    ((rules.dns ??= []) as unknown[]).push({ matchName: name });
    words = `a DNS rule for ${bound(name, 120)}`;
  } else if (req?.kind === "kafka") {
    const rule = { apiKey: req.apiKey, topic: req.topic };
    ((rules.kafka ??= []) as unknown[]).push(rule);
    words = `a Kafka rule for ${bound(req.apiKey, 40)} on ${bound(req.topic, 80)}`;
  } else return null;
  return {
    summary: bound(`Suggestion: add ${words} to ${section.path} of ${policyText(b.policy)}; ${REVIEW}.`, 400),
    yaml: render(obj),
  };
}

// The rule goes where a reader would look for it: among the namespace's own CiliumNetworkPolicies,
// the one written for this endpoint (a selector beyond the namespace) that already allows traffic
// in this direction, rather than a namespace-wide "deny all" policy.
function pickTarget(blocks: readonly RuleBlock[], side: FlowSide, peer: FlowSide, dir: Direction): RuleBlock | undefined {
  const expressibleInKnp = peer.kind === "pod" || (peer.external && !!peer.ip);
  const ok = blocks.filter((b) => !b.isKnp || expressibleInKnp);
  const fit = (b: RuleBlock) => (b.subject.requirements.length > 1 ? 2 : 0) + (b.allow[dir].length > 0 ? 1 : 0);
  const own = ok.filter((b) => b.policy.kind === "CiliumNetworkPolicy" && b.policy.namespace === side.namespace);
  const best = own.reduce<RuleBlock | undefined>((a, b) => (a === undefined || fit(b) > fit(a) ? b : a), undefined);
  return best ?? ok.find((b) => b.isKnp) ?? ok[0];
}

function defaultDenySuggestion(f: FlowFacts, c: CompiledPolicySet, side: FlowSide, dir: Direction, peer: FlowSide, isolating: readonly RuleBlock[]): Suggestion | null {
  const target = pickTarget(isolating, side, peer, dir);
  const ports = ciliumPorts(f);
  if (target?.isKnp) return knpSuggestion(f, target, dir, peer);
  if (target) {
    const obj = cleanObject(target.source.object);
    const spec = specOf(obj, target);
    if (!spec) return null;
    const p = ciliumPeer(peer, dir, target.policy.kind === "CiliumNetworkPolicy" ? target.policy.namespace : undefined);
    const rule = { ...p.fields, ...ports.fields };
    const list = Array.isArray(spec[dir]) ? (spec[dir] as unknown[]) : [];
    list.push(rule);
    spec[dir] = list;
    const fqdn =
      dir === "egress" && peer.external && peer.names[0]
        ? ` (for a name that changes IPs, toFQDNs matchName ${bound(peer.names[0].replace(/\.$/, ""), 100)} with a DNS rule is the durable form)`
        : "";
    return {
      summary: bound(`Suggestion: add an ${dir} rule to ${policyText(target.policy)} allowing ${p.words}${ports.words}${fqdn}; ${REVIEW}.`, 500),
      yaml: render(obj),
    };
  }
  // Nothing isolates (policy-enforcement-mode=always): a new policy for this endpoint.
  const p = ciliumPeer(peer, dir, side.kind === "pod" ? side.namespace : undefined);
  const own = side.kind === "pod" ? workloadLabel(side) : undefined;
  const name = `allow-${dir}-${(own?.value ?? "endpoint")
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, "-")
    .slice(0, 40)}`;
  const obj: Obj =
    side.kind === "host"
      ? { apiVersion: "cilium.io/v2", kind: "CiliumClusterwideNetworkPolicy", metadata: { name }, spec: { nodeSelector: {}, [dir]: [{ ...p.fields, ...ports.fields }] } }
      : {
          apiVersion: "cilium.io/v2",
          kind: "CiliumNetworkPolicy",
          metadata: { name, namespace: side.namespace },
          spec: { endpointSelector: { matchLabels: own ? { [own.key]: own.value } : {} }, [dir]: [{ ...p.fields, ...ports.fields }] },
        };
  void c;
  return { summary: bound(`Suggestion: a new policy allowing ${p.words}${ports.words} at ${dir}; ${REVIEW}.`, 400), yaml: render(obj) };
}

function knpSuggestion(f: FlowFacts, target: RuleBlock, dir: Direction, peer: FlowSide): Suggestion | null {
  const obj = cleanObject(target.source.object);
  const spec = obj.spec as Obj;
  let peerObj: Obj;
  let words: string;
  if (peer.kind === "pod") {
    const l = workloadLabel(peer);
    const ns = peer.labels.get("k8s", POD_NAMESPACE) ?? peer.namespace;
    peerObj = { podSelector: { matchLabels: l ? { [l.key]: l.value } : {} } };
    if (ns !== target.policy.namespace) peerObj.namespaceSelector = { matchLabels: { "kubernetes.io/metadata.name": ns } };
    words = `${l ? `${l.key}=${l.value}` : "all pods"} in namespace ${ns}`;
  } else {
    peerObj = { ipBlock: { cidr: hostPrefix(peer.ip!) } };
    words = hostPrefix(peer.ip!);
  }
  const rule: Obj = { [dir === "ingress" ? "from" : "to"]: [peerObj] };
  const l4 = f.l4;
  if (l4.proto === "TCP" || l4.proto === "UDP" || l4.proto === "SCTP") rule.ports = [{ port: l4.port, protocol: l4.proto }];
  const list = Array.isArray(spec[dir]) ? (spec[dir] as unknown[]) : [];
  list.push(rule);
  spec[dir] = list;
  return {
    summary: bound(`Suggestion: add an ${dir} rule to ${policyText(target.policy)} allowing ${words}${rule.ports ? ` on ${l4Text(l4)}` : ""}; ${REVIEW}.`, 400),
    yaml: render(obj),
  };
}
