import "server-only";
import type { PolicySnapshot } from "@/server/policies";
import type { NewInvestigation } from "../store";

// Small builders for the store tests, with fixed timestamps so content can be regenerated and
// compared (the crash test rebuilds what a killed child saved from its seed).

const BASE_MS = Date.UTC(2026, 0, 15, 10, 0, 0);

/**
 * One `hubble observe -o jsonpb` line, deterministic in (seed, i), ~700 bytes like a real drop; in
 * protojson's own form (declaration order, no zero fraction), so it survives a re-encode unchanged.
 */
export function flowLine(seed: number, i: number): string {
  const time = new Date(BASE_MS + seed * 1000 + i).toISOString().replace(".000Z", "Z");
  const flow = {
    time,
    uuid: `${seed.toString(16).padStart(8, "0")}-0000-4000-8000-${i.toString(16).padStart(12, "0")}`,
    verdict: i % 7 === 0 ? "DROPPED" : "FORWARDED",
    IP: { source: `10.0.${seed % 250}.${i % 250}`, destination: "10.0.9.9", ipVersion: "IPv4" },
    l4: { TCP: { source_port: 30000 + (i % 30000), destination_port: 8080, flags: { SYN: true } } },
    source: { ID: 100 + (i % 50), identity: 5000 + (i % 40), namespace: "shop", labels: ["k8s:app=frontend", `k8s:n=${i}`], pod_name: `frontend-${i % 9}` },
    destination: { ID: 7, identity: 6001, namespace: "shop", labels: ["k8s:app=checkout"], pod_name: "checkout-0" },
    Type: "L3_L4",
    node_name: `kind-worker${i % 3}`,
    event_type: { type: 1, sub_type: 133 },
    traffic_direction: "INGRESS",
    ...(i % 7 === 0 ? { drop_reason_desc: "POLICY_DENIED" } : {}),
    Summary: `TCP Flags: SYN seed=${seed} i=${i}`,
  };
  return JSON.stringify({ flow, node_name: flow.node_name, time });
}

export function flowLines(seed: number, count: number): string[] {
  return Array.from({ length: count }, (_, i) => flowLine(seed, i));
}

export function policySnapshot(version = 3): PolicySnapshot {
  return {
    policies: [
      {
        kind: "CiliumNetworkPolicy",
        namespace: "shop",
        name: "checkout-ingress",
        origin: "file policies/shop.yaml (document 1)",
        object: {
          apiVersion: "cilium.io/v2",
          kind: "CiliumNetworkPolicy",
          metadata: { name: "checkout-ingress", namespace: "shop" },
          spec: { endpointSelector: { matchLabels: { app: "checkout" } } },
        },
        yaml: "apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\n",
      },
    ],
    namespaceLabels: { shop: { "kubernetes.io/metadata.name": "shop" } },
    settings: { "policy-enforcement-mode": "default", "enable-host-firewall": false, "allow-localhost": "auto", "enable-non-default-deny-policies": true },
    version,
    since: "2026-01-15T09:00:00.000Z",
  };
}

/** Text from workloads is attacker-controlled: it must come back byte for byte. */
export const HOSTILE = [
  "'; DROP TABLE investigations; --",
  '<script>alert("x")</script>',
  "Ünïcödé ✓ 日本語 עברית \u202Eevil\u202C 👩‍👩‍👧‍👦 \u{1F600}",
  'line\nbreak\r\ttab \\ backslash " quote',
  "$1 $$ ? :name @p %s {{x}}",
].join(" | ");

export function newInvestigation(overrides: Partial<NewInvestigation> = {}): NewInvestigation {
  return {
    title: "Checkout drops from frontend",
    note: "Started after the 10:00 deploy.",
    view: "namespace=shop&verdict=DROPPED&since=2026-01-15T10%3A00%3A00Z&flow=abc&panel=details",
    selectedFlow: "00000001-0000-4000-8000-000000000000",
    flows: flowLines(1, 20),
    policies: policySnapshot(),
    owner: "alice",
    sharedWith: ["shop-team"],
    flowNamespaces: [["shop", "shop"]],
    ...overrides,
  };
}
