import "server-only";

// Small builders for the policy tests: a policy directory and flows in the `hubble observe -o json`
// form, with fixed times.

import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadServerConfig } from "@/server/config/env";
import { waitUntil } from "@/server/http/testing";
import { createPolicyService, type PolicyService } from "./index";

/** A CNP: pods app=cart in shop accept app=client on TCP 8080, nothing else (default deny for ingress). */
export const CART_POLICY = `apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata:
  name: cart-ingress
  namespace: shop
spec:
  endpointSelector:
    matchLabels:
      app: cart
  ingress:
  - fromEndpoints:
    - matchLabels:
        app: client
    toPorts:
    - ports:
      - port: "8080"
        protocol: TCP
`;

export const SHOP_NAMESPACE = `apiVersion: v1
kind: Namespace
metadata:
  name: shop
  labels:
    team: web
`;

/** A policy directory: the CNP and the namespace in two files, and a Deployment that is skipped. */
export function writePolicyDir(root: string): string {
  const dir = join(root, "policies");
  mkdirSync(join(dir, "shop"), { recursive: true });
  writeFileSync(join(dir, "shop", "cart.yaml"), CART_POLICY);
  writeFileSync(join(dir, "namespaces.yaml"), `${SHOP_NAMESPACE}---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: cart, namespace: shop}\n`);
  return dir;
}

export const FLOW_TIME = "2026-01-01T10:00:00.123456789Z";

/** A TCP flow from app=`from` to cart:`port` in shop, as Hubble reports it at the destination. */
export function shopFlow(from: string, port: number, verdict: "FORWARDED" | "DROPPED" = "FORWARDED"): Record<string, unknown> {
  return {
    time: FLOW_TIME,
    verdict,
    ...(verdict === "DROPPED" ? { drop_reason: 133, drop_reason_desc: "POLICY_DENIED" } : {}),
    IP: { source: "10.244.0.5", destination: "10.244.1.7", ipVersion: "IPv4" },
    l4: { TCP: { source_port: 40000, destination_port: port, flags: { SYN: true } } },
    source: { ID: 11, identity: 1001, namespace: "shop", labels: [`k8s:app=${from}`, "k8s:io.kubernetes.pod.namespace=shop"], pod_name: `${from}-1` },
    destination: { ID: 12, identity: 1002, namespace: "shop", labels: ["k8s:app=cart", "k8s:io.kubernetes.pod.namespace=shop"], pod_name: "cart-1" },
    Type: "L3_L4",
    node_name: "node-a",
    event_type: { type: verdict === "DROPPED" ? 1 : 4 },
    traffic_direction: "INGRESS",
    is_reply: false,
    Summary: `TCP Flags: SYN`,
  };
}

/** The `hubble observe -o json` line around a flow. */
export function envelope(flow: Record<string, unknown>): Record<string, unknown> {
  return { flow, node_name: "node-a", time: flow.time };
}

/**
 * A directory policy service whose history has two versions: cart accepts client on 8080 from
 * 09:00, then only on 9090 from 11:00 (the service's clock, not the machine's).
 */
export async function twoVersionPolicyService(prefix: string): Promise<{ service: PolicyService; close(): Promise<void> }> {
  const tmp = mkdtempSync(join(tmpdir(), prefix));
  let clock = Date.parse("2026-01-01T09:00:00Z");
  const dir = writePolicyDir(tmp);
  const service = await createPolicyService(loadServerConfig({ HUBBLE_LENS_POLICIES: dir }), undefined, {
    now: () => clock,
    directory: { pollMs: 20, settleMs: 10 },
  });
  clock = Date.parse("2026-01-01T11:00:00Z");
  const file = join(dir, "shop", "cart.yaml");
  writeFileSync(file, CART_POLICY.replace('"8080"', '"9090"'));
  utimesSync(file, new Date(clock), new Date(clock));
  await waitUntil(() => service.current().version === 2, "version 2");
  return {
    service,
    async close() {
      await service.close();
      rmSync(tmp, { recursive: true, force: true });
    },
  };
}
