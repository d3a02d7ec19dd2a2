// Which policies put an endpoint into default-deny for a direction, for the service map
// ("this endpoint's ingress is in default-deny because of …").

import { blocksFor } from "./evaluate";
import { isolatingFrom } from "./answer";
import { LabelSet, parseLabel, POD_NAMESPACE } from "./labels";
import type { CompiledPolicySet } from "./model";
import type { FlowSide } from "./flow";
import type { Direction, IsolatingPolicy } from "./types";

export function isolatingPolicies(endpoint: { labels: readonly string[]; namespace?: string }, direction: Direction, compiled: CompiledPolicySet): IsolatingPolicy[] {
  const raw = Array.isArray(endpoint?.labels) ? endpoint.labels.filter((l): l is string => typeof l === "string") : [];
  const labels = raw.map(parseLabel);
  const ns = typeof endpoint?.namespace === "string" ? endpoint.namespace : "";
  if (ns && !labels.some((l) => l.source === "k8s" && l.key === POD_NAMESPACE)) labels.push({ source: "k8s", key: POD_NAMESPACE, value: ns });
  const isHost = labels.some((l) => l.source === "reserved" && l.key === "host");
  const isPod = !isHost && labels.some((l) => l.source === "k8s" && l.key === POD_NAMESPACE);
  if (!isHost && !isPod) return [];
  const settings = compiled.set.settings;
  if (settings["policy-enforcement-mode"] === "never") return [];
  if (isHost && !settings["enable-host-firewall"]) return [];
  const side: FlowSide = {
    kind: isHost ? "host" : "pod",
    labels: new LabelSet(labels),
    rawLabels: raw,
    labelsMissing: false,
    cacheKey: `${ns}\n\n${raw.join("\n")}`,
    identity: undefined,
    namespace: ns,
    podName: "",
    ip: undefined,
    names: [],
    external: false,
    service: undefined,
  };
  return isolatingFrom(
    blocksFor(compiled, side, direction).filter((b) => b.defaultDeny[direction]),
    direction,
  );
}
