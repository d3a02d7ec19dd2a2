import { create } from "@bufbuild/protobuf";
import { WorkloadSchema, type Workload } from "../../proto/gen/flow/flow_pb";
import { spec, directional, ValueError, type FilterKind, type KindSpec } from "./kind-spec";
import { nonEmpty, checkNamespaceName, namespacedName, RESERVED_IDENTITIES, parseUint, checkIp } from "./kind-values";

// The kinds that pick an endpoint (the source, the destination or either): who talks.
export const ENDPOINT_KINDS: Readonly<Record<"pod" | "namespace" | "label" | "ip" | "fqdn" | "identity" | "workload" | "service" | "port" | "cluster", KindSpec>> = {
  pod: spec({
    kind: "pod",
    ...directional("pod", "sourcePod", "destinationPod", {
      expects: "[namespace/]pod-name-prefix (no namespace means 'default'; '/name' means any namespace)",
      example: "pod=shop/frontend",
      normalize: namespacedName("pod"),
    }),
  }),
  namespace: spec({
    kind: "namespace",
    directional: true,
    flag: "namespace",
    short: "n",
    expects: "a Kubernetes namespace name",
    example: "namespace=kube-system",
    normalize: checkNamespaceName,
  }),
  label: spec({
    kind: "label",
    short: "l",
    ...directional("label", "sourceLabel", "destinationLabel", {
      expects: "a label selector (app=frontend, k8s:app=frontend, 'tier in (web,api)', reserved:world)",
      example: "label=app=frontend",
      normalize: nonEmpty("a label selector"),
    }),
  }),
  ip: spec({
    kind: "ip",
    ...directional("ip", "sourceIp", "destinationIp", {
      expects: "an IP address or CIDR",
      example: "ip=10.0.0.0/8",
      normalize: checkIp,
    }),
  }),
  fqdn: spec({
    kind: "fqdn",
    ...directional("fqdn", "sourceFqdn", "destinationFqdn", {
      expects: "a DNS name pattern where '*' matches any characters (*.cilium.io)",
      example: "fqdn=*.cilium.io",
      normalize(raw) {
        if (raw === "") throw new ValueError("an FQDN pattern must not be empty");
        if (!/^[-0-9_a-zA-Z.*]+$/.test(raw)) throw new ValueError("an FQDN pattern may only contain letters, digits, '-', '_', '.' and '*'");
        return raw;
      },
    }),
  }),
  identity: spec({
    kind: "identity",
    ...directional("identity", "sourceIdentity", "destinationIdentity", {
      expects: `a numeric security identity or one of ${Object.keys(RESERVED_IDENTITIES).join(", ")}`,
      example: "identity=world",
      normalize(raw) {
        const lower = raw.toLowerCase();
        if (lower in RESERVED_IDENTITIES) return lower;
        if (parseUint(raw, 0xffffffff) === undefined) throw new ValueError("not a reserved identity name nor a 32-bit number");
        return String(Number(raw));
      },
      toProto: (v: string) => RESERVED_IDENTITIES[v] ?? Number(v),
    }),
  }),
  workload: spec({
    kind: "workload",
    ...directional("workload", "sourceWorkload", "destinationWorkload", {
      expects: "[Kind/]name, e.g. Deployment/frontend or frontend",
      example: "workload=Deployment/frontend",
      normalize: nonEmpty("a workload"),
      toProto(v: string): Workload {
        const slash = v.indexOf("/");
        return slash < 0 ? create(WorkloadSchema, { name: v }) : create(WorkloadSchema, { kind: v.slice(0, slash), name: v.slice(slash + 1) });
      },
      fromProto(e: unknown) {
        const w = e as Workload;
        if (w.kind === "" && w.name === "") throw new ValueError("an empty workload");
        return w.kind === "" ? w.name : `${w.kind}/${w.name}`;
      },
    }),
  }),
  service: spec({
    kind: "service",
    ...directional("service", "sourceService", "destinationService", {
      expects: "[namespace/]service-name-prefix",
      example: "service=kube-system/kube-dns",
      normalize: namespacedName("service"),
    }),
  }),
  port: spec({
    kind: "port",
    ...directional("port", "sourcePort", "destinationPort", {
      expects: "a port number 0–65535",
      example: "port=443",
      normalize(raw) {
        const n = parseUint(raw, 65535);
        if (n === undefined) throw new ValueError("a port is a number from 0 to 65535");
        return String(n);
      },
    }),
  }),
  cluster: spec({
    kind: "cluster",
    ...directional("cluster", "sourceClusterName", "destinationClusterName", {
      expects: "a cluster name",
      example: "cluster=prod-eu",
      normalize: nonEmpty("a cluster name"),
    }),
  }),
} satisfies Readonly<Partial<Record<FilterKind, KindSpec>>>;
