// The one-sentence reasons: what matched or failed, in words a person can act on. Every piece
// of flow text that ends up here is bounded (flows are attacker-controlled).

import { bound, type FlowFacts, type FlowSide } from "./flow";
import { l4Text, type SideResult } from "./evaluate";
import type { PolicyId } from "./types";
import type { RuleBlock } from "./model";

export function endpointName(s: FlowSide): string {
  if (s.kind === "host") return "reserved:host";
  if (s.kind === "pod") return bound(`${s.namespace || "?"}/${s.podName || "?"}`, 200);
  return bound(describeSide(s), 200);
}

export function describeSide(s: FlowSide): string {
  if (s.kind === "pod") return bound(`${s.namespace}/${s.podName || "?"}`, 120);
  if (s.kind === "host") return "the local host";
  const reserved = s.labels.labels.filter((l) => l.source === "reserved").map((l) => l.key);
  const name = s.names[0] ? ` (${bound(s.names[0], 80)})` : "";
  const what = reserved.length ? reserved.join("/") : "unknown";
  return bound(`${what}${s.ip ? ` ${s.ip}` : ""}${name}`, 160);
}

export function policyText(p: PolicyId): string {
  return `${p.kind} ${p.namespace ? `${p.namespace}/` : ""}${p.name}`;
}

function voidedText(ms: readonly { block: RuleBlock; ports: readonly { l7: { path: string } | null }[] }[]): string {
  const parts = ms.flatMap((m) => m.ports.filter((p) => p.l7).map((p) => `${policyText(m.block.policy)} ${p.l7!.path}`));
  const unique = [...new Set(parts)];
  return unique.length > 2 ? `${unique.slice(0, 2).join(", ")} and ${unique.length - 2} more` : unique.join(" and ");
}

function blocksText(blocks: readonly RuleBlock[]): string {
  const names = [...new Set(blocks.map((b) => policyText(b.policy)))];
  return names.length > 3 ? `${names.slice(0, 3).join(", ")} and ${names.length - 3} more` : names.join(", ");
}

function requestText(f: FlowFacts): string {
  const r = f.l7;
  if (!r) return l4Text(f.l4);
  if (r.kind === "http") return bound(`HTTP ${r.method} ${r.path}`, 160);
  if (r.kind === "dns") return bound(`DNS query ${r.query}`, 160);
  if (r.kind === "kafka") return bound(`Kafka ${r.apiKey} ${r.topic}`, 160);
  return l4Text(f.l4);
}

export function reasonFor(f: FlowFacts, side: FlowSide, dir: "ingress" | "egress", peer: FlowSide, r: SideResult): string {
  const missing = [side, peer].filter((s) => s.labelsMissing).map(describeSide);
  const text = sideReason(f, side, dir, peer, r);
  return missing.length ? `${text} Caveat: the flow carries no labels for ${missing.join(" and ")}, so label selectors could only see the namespace.` : text;
}

function sideReason(f: FlowFacts, side: FlowSide, dir: "ingress" | "egress", peer: FlowSide, r: SideResult): string {
  const at = `at ${dir} of ${endpointName(side)}`;
  const peerText = describeSide(peer);
  const flowText = `${peerText} on ${l4Text(f.l4)}`;
  switch (r.kind) {
    case "not-enforced":
      switch (r.why) {
        case "mode-never":
          return `Allowed ${at}: policy-enforcement-mode is never, so no policy is enforced.`;
        case "host-firewall-off":
          return `Allowed ${at}: host policies only apply with enable-host-firewall, which is off.`;
        case "no-policy":
          return `Allowed ${at}: no policy selects ${endpointName(side)} for ${dir}, so ${dir} is default-allow.`;
        case "default-deny-disabled":
          return `Allowed ${at}: the policies selecting it (${blocksText(r.selecting)}) set enableDefaultDeny.${dir}: false, so traffic they do not mention stays allowed.`;
      }
      break;
    case "implicit-allow": {
      const names = [...new Set(r.isolating.map((b) => policyText(b.policy)))];
      const isolated = names.length
        ? ` Nothing else would pass: ${blocksText(r.isolating)} put${names.length === 1 ? "s" : ""} ${endpointName(side)} in default-deny for ${dir}.`
        : r.always
          ? ` Nothing else would pass: policy-enforcement-mode is always, so ${endpointName(side)} is in default-deny.`
          : "";
      return `Allowed ${at}: traffic from the local host (kubelet probes and the like) to its own pods is always allowed (allow-localhost=auto/always); set allow-localhost=policy to enforce policy on it.${isolated}`;
    }
    case "allowed": {
      const m = r.primary;
      const rule = m.rule;
      const peerPart = rule.peers === null ? "any peer" : rule.peers.map((p) => p.describe).join(" or ");
      const portPart = m.ports.length ? ` on ${m.ports.map((p) => p.text).join(", ")}` : rule.icmps ? " (ICMP)" : " on all ports";
      const l7 =
        r.l7.kind === "allowed"
          ? `; ${requestText(f)} matches the L7 rule ${r.l7.text}`
          : r.l7.kind === "pending"
            ? "; requests on this port go through the L7 proxy and must also match its L7 rules"
            : r.l7.kind === "unsupported"
              ? `; caveat: ${r.l7.what} are not evaluated`
              : r.l7.kind === "voided"
                ? `; it allows the port without L7 rules, so the L7 rules of ${bound(voidedText(r.l7.overridden), 200)} on the same port have no effect`
                : "";
      const also = r.matches.length > 1 ? ` (${r.matches.length - 1} more rule${r.matches.length > 2 ? "s also match" : " also matches"})` : "";
      const cav = r.caveats.length ? `; caveat: ${r.caveats[0]}` : "";
      return `Allowed ${at} by ${policyText(m.block.policy)} ${rule.path}: ${bound(peerPart, 160)}${portPart} matches ${flowText}${l7}${also}${cav}.`;
    }
    case "deny-rule": {
      const m = r.match;
      const peerPart = m.rule.peers === null ? "any peer" : m.rule.peers.map((p) => p.describe).join(" or ");
      return `Denied ${at} by the deny rule ${policyText(m.block.policy)} ${m.rule.path} (${bound(peerPart, 120)}${m.ports.length ? ` on ${m.ports.map((p) => p.text).join(", ")}` : ""}), which matches ${flowText}; deny rules win over every allow rule, so that rule has to be narrowed.`;
    }
    case "l7-deny": {
      const section = r.l7.rules[0]!;
      const allowed = r.l7.tried
        .slice(0, 3)
        .map((t) => t.text)
        .join("; ");
      const code = f.l7?.kind === "dns" ? "REFUSED" : "403 Forbidden";
      const soft = r.enforced ? "" : " (enableDefaultDeny: false does not switch L7 rules off)";
      return `Refused by the L7 proxy ${at} (${code}): ${requestText(f)} from ${peerText} matches none of the L7 rules of ${policyText(r.primary.block.policy)} ${section.path} (allowed: ${bound(allowed, 200)})${soft}.`;
    }
    case "default-deny": {
      // What failed first (no rule allows this flow), then who isolates the endpoint: the full
      // list of isolating policies is in the explanation; the sentence names the first.
      const names = [...new Set(r.isolating.map((b) => policyText(b.policy)))];
      const who = names.length
        ? `${names[0]}${names.length > 1 ? ` and ${names.length - 1} more polic${names.length === 2 ? "y" : "ies"}` : ""} put${names.length === 1 ? "s" : ""} it in default-deny for ${dir}`
        : `policy-enforcement-mode is always, so it is in default-deny`;
      const near = r.nearMisses[0] ? `; closest: ${policyText(r.nearMisses[0].block.policy)} ${r.nearMisses[0].path} — ${bound(r.nearMisses[0].why, 160)}` : "";
      const cav = r.caveats.length ? `; caveat: ${r.caveats[0]}` : "";
      return `Denied ${at}: no rule allows ${flowText}, and ${who}${near}${cav}.`;
    }
  }
  return "";
}
