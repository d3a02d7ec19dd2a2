// Writes server/demo-relay/scenarios/large.yaml and large.policies.yaml: a 300-workload cluster
// (15 namespaces, 8 nodes, ~1,500 distinct source → destination:port edges) for `npm run bench:ui`.
// Deterministic: the same script always writes the same files. The declared outcomes are derived
// here from the policy design below (not from the checker), and then verified with checkOutcomes.
//
// Run: node --conditions=react-server --import tsx scripts/gen-large-scenario.ts [--check-only]
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Document, isMap, isSeq, stringify } from "yaml";
import { checkOutcomes } from "@/server/demo-relay/scenario/agreement";
import { loadScenario, scenariosDir } from "@/server/demo-relay/scenario/load";
import { Topology } from "@/server/demo-relay/simulator/topology";

const DIR = scenariosDir();

// ── deterministic randomness ─────────────────────────────────────────────────────────────
let state = 0x1a2b3c4d;
function rand(): number {
  // mulberry32
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
const chance = (p: number) => rand() < p;
/** Log-uniform weight in [lo, hi], rounded to 2 decimals. */
const weight = (lo: number, hi: number) => Math.round(Math.exp(Math.log(lo) + rand() * (Math.log(hi) - Math.log(lo))) * 100) / 100;
function sample<T>(xs: readonly T[], n: number): T[] {
  const copy = [...xs];
  const out: T[] = [];
  while (out.length < n && copy.length) out.push(copy.splice(Math.floor(rand() * copy.length), 1)[0]);
  return out;
}
function fnv(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

// ── cluster ──────────────────────────────────────────────────────────────────────────────
const ZONES = ["us-east-1a", "us-east-1b", "us-east-1c"];
const nodes = Array.from({ length: 8 }, (_, i) => {
  const zone = ZONES[i % 3];
  const name = `large-node-${zone.slice(-1)}${Math.floor(i / 3) + 1}`;
  return {
    name,
    ip: `10.20.${(i % 3) + 1}.${11 + i}`,
    podCIDR: `10.244.${i}.0/24`,
    labels: {
      "kubernetes.io/arch": i === 7 ? "arm64" : "amd64",
      "kubernetes.io/hostname": name,
      "kubernetes.io/os": "linux",
      "node.kubernetes.io/instance-type": i === 7 ? "m7g.4xlarge" : "m6i.4xlarge",
      "topology.kubernetes.io/region": "us-east-1",
      "topology.kubernetes.io/zone": zone,
    },
  };
});

/** Application namespaces: 24 workloads each. */
const APP_NS = ["web", "identity", "catalog", "search", "cart", "checkout", "orders", "payments", "shipping", "notifications", "analytics"] as const;
const DOMAIN: Record<string, string> = { identity: "auth", web: "storefront" };
const TEAM: Record<string, string> = {
  web: "web",
  identity: "identity",
  catalog: "catalog",
  search: "discovery",
  cart: "commerce",
  checkout: "commerce",
  orders: "commerce",
  payments: "payments",
  shipping: "fulfilment",
  notifications: "messaging",
  analytics: "data-science",
};
/** Namespaces whose pods get HTTP/gRPC visibility (an L7 allow-all rule) from the CCNP l7-visibility. */
const L7_NS = ["web", "catalog", "cart", "checkout", "orders"];
/** Who may call into payments (payments-ingress). */
const PAYMENTS_CLIENTS = ["checkout", "orders", "payments"];

type Role = "http" | "grpc" | "worker";
const SUFFIXES: Array<[string, Role]> = [
  ["api", "http"],
  ["gateway", "http"],
  ["graphql", "http"],
  ["admin", "http"],
  ["grpc", "grpc"],
  ["query", "grpc"],
  ["command", "grpc"],
  ["projector", "worker"],
  ["worker", "worker"],
  ["scheduler", "worker"],
  ["indexer", "worker"],
  ["sync", "worker"],
  ["importer", "worker"],
  ["exporter", "http"],
  ["webhooks", "http"],
  ["events", "grpc"],
  ["reconciler", "worker"],
  ["validator", "grpc"],
  ["rules", "grpc"],
  ["cache", "http"],
  ["reports", "http"],
  ["audit", "grpc"],
  ["notifier", "worker"],
  ["batch", "worker"],
];

type Workload = {
  namespace: string;
  name: string;
  kind: "Deployment" | "StatefulSet" | "DaemonSet";
  replicas?: number;
  serviceAccount: string;
  identity: number;
  labels: Record<string, string>;
  service?: { name: string; port: number; targetPort?: number };
  role: Role | "data" | "infra";
  /** Server port (after service translation). */
  port?: number;
  protocol?: "http" | "grpc" | "tcp" | "kafka" | "tls" | "dns";
};
const workloads: Workload[] = [];
const usedIdentities = new Set<number>();
function add(w: Omit<Workload, "serviceAccount" | "identity"> & { serviceAccount?: string }): Workload {
  let identity = 256 + (fnv(`identity:${w.namespace}/${w.name}`) % 65000);
  while (usedIdentities.has(identity)) identity++;
  usedIdentities.add(identity);
  const full: Workload = { serviceAccount: w.name, identity, ...w };
  if (full.service && full.port === undefined) full.port = full.service.targetPort ?? full.service.port;
  workloads.push(full);
  return full;
}

// kube-system, ingress, monitoring
const coredns = add({
  namespace: "kube-system",
  name: "coredns",
  kind: "Deployment",
  replicas: 3,
  labels: { "k8s-app": "kube-dns" },
  service: { name: "kube-dns", port: 53 },
  role: "infra",
  protocol: "dns",
});
for (const name of ["metrics-server", "cluster-autoscaler", "ebs-csi-controller", "external-dns"])
  add({ namespace: "kube-system", name, kind: "Deployment", replicas: 1, labels: { "k8s-app": name }, role: "infra" });
add({
  namespace: "kube-system",
  name: "hubble-relay",
  kind: "Deployment",
  replicas: 1,
  labels: { "k8s-app": "hubble-relay" },
  service: { name: "hubble-relay", port: 80, targetPort: 4245 },
  role: "infra",
  protocol: "grpc",
});
const ingress = add({
  namespace: "ingress-nginx",
  name: "ingress-nginx-controller",
  kind: "Deployment",
  replicas: 3,
  serviceAccount: "ingress-nginx",
  labels: { "app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/component": "controller" },
  service: { name: "ingress-nginx-controller", port: 443 },
  role: "infra",
  protocol: "tls",
});
add({
  namespace: "ingress-nginx",
  name: "default-backend",
  kind: "Deployment",
  replicas: 1,
  labels: { "app.kubernetes.io/name": "default-backend" },
  service: { name: "default-backend", port: 80, targetPort: 8080 },
  role: "infra",
  protocol: "http",
});
const mon = (name: string, kind: Workload["kind"], service?: Workload["service"], protocol?: Workload["protocol"]) =>
  add({ namespace: "monitoring", name, kind, replicas: 1, labels: { "app.kubernetes.io/name": name }, service, role: "infra", protocol });
const prometheus = mon("prometheus", "StatefulSet", { name: "prometheus", port: 9090 }, "http");
const grafana = mon("grafana", "Deployment", { name: "grafana", port: 80, targetPort: 3000 }, "http");
const alertmanager = mon("alertmanager", "StatefulSet", { name: "alertmanager", port: 9093 }, "http");
const ksm = mon("kube-state-metrics", "Deployment", { name: "kube-state-metrics", port: 8080 }, "http");
const loki = mon("loki", "StatefulSet", { name: "loki", port: 3100 }, "http");
const tempo = mon("tempo", "StatefulSet", { name: "tempo", port: 3200 }, "http");
const otel = mon("otel-collector", "Deployment", { name: "otel-collector", port: 4317 }, "grpc");
const promtail = mon("promtail", "DaemonSet");

// data
const data = (name: string, kind: Workload["kind"], replicas: number, port: number, protocol: Workload["protocol"]) =>
  add({ namespace: "data", name, kind, replicas, labels: { app: name }, service: { name, port }, role: "data", protocol });
const DATA_PORTS = [5432, 6432, 6379, 9092, 9200, 9300, 2181, 8123, 9000, 8081, 9090];
const postgres: Record<string, Workload> = {};
const pgbouncer: Record<string, Workload> = {};
for (const db of ["orders", "catalog", "identity", "payments", "shipping"]) {
  postgres[db] = data(`postgres-${db}`, "StatefulSet", 2, 5432, "tcp");
  pgbouncer[db] = data(`pgbouncer-${db}`, "Deployment", 2, 6432, "tcp");
}
const redis = ["sessions", "cart", "catalog", "ratelimit"].map((r) => data(`redis-${r}`, "StatefulSet", 1, 6379, "tcp"));
const kafka = data("kafka", "StatefulSet", 3, 9092, "kafka");
const zookeeper = data("zookeeper", "StatefulSet", 3, 2181, "tcp");
const elasticsearch = data("elasticsearch", "StatefulSet", 3, 9200, "http");
const clickhouse = data("clickhouse", "StatefulSet", 2, 8123, "http");
const minio = data("minio", "StatefulSet", 2, 9000, "http");
const schemaRegistry = data("schema-registry", "Deployment", 1, 8081, "http");

// applications
const apps: Record<string, Workload[]> = {};
for (const ns of APP_NS) {
  const domain = DOMAIN[ns] ?? ns;
  apps[ns] = SUFFIXES.map(([suffix, role]) => {
    const name = `${domain}-${suffix}`;
    const labels: Record<string, string> = { app: name, "app.kubernetes.io/part-of": domain };
    if (role === "http")
      return add({ namespace: ns, name, kind: "Deployment", replicas: int(1, 3), labels, service: { name, port: 80, targetPort: 8080 }, role, protocol: "http" });
    if (role === "grpc") return add({ namespace: ns, name, kind: "Deployment", replicas: int(1, 3), labels, service: { name, port: 50051 }, role, protocol: "grpc" });
    return add({ namespace: ns, name, kind: "Deployment", replicas: int(1, 2), labels, role });
  });
}
const authApi = apps.identity.find((w) => w.name === "auth-api")!;
/** payments-audit serves its metrics on 9102, which payments-ingress does not open (a drop). */
const METRICS_PORT = (w: Workload) => (w.namespace === "payments" && w.name === "payments-audit" ? 9102 : 9090);

const namespaces = [
  { name: "kube-system" },
  { name: "ingress-nginx", labels: { team: "platform" } },
  { name: "monitoring", labels: { team: "sre" } },
  { name: "data", labels: { team: "platform-data" } },
  ...APP_NS.map((ns) => ({ name: ns, labels: ns === "payments" ? { team: TEAM[ns], compliance: "pci" } : { team: TEAM[ns] } })),
];

const world = [
  { fqdn: "internet-clients", ips: ["81.2.69.142", "89.160.20.112", "175.16.199.37", "216.160.83.56", "2.125.160.216"] },
  { fqdn: "api.stripe.com", ips: ["54.187.174.169", "54.187.205.235"] },
  { fqdn: "api.adyen.com", ips: ["185.35.37.60"] },
  { fqdn: "api.sendgrid.com", ips: ["167.89.118.52"] },
  { fqdn: "api.twilio.com", ips: ["54.172.60.0"] },
  { fqdn: "hooks.slack.com", ips: ["44.237.180.172"] },
  { fqdn: "api.shipengine.com", ips: ["104.18.20.87"] },
  { fqdn: "onlinetools.ups.com", ips: ["153.2.228.50"] },
  { fqdn: "s3.us-east-1.amazonaws.com", ips: ["52.216.8.21", "52.217.136.88"] },
  { fqdn: "o4504.ingest.sentry.io", ips: ["34.120.195.249"] },
  { fqdn: "www.googleapis.com", ips: ["142.250.65.74"] },
  { fqdn: "api.openai.com", ips: ["162.159.140.245"] },
];

// ── policies ─────────────────────────────────────────────────────────────────────────────
const P = {
  l7: "CiliumClusterwideNetworkPolicy/l7-visibility",
  dns: "CiliumClusterwideNetworkPolicy/dns-visibility",
  denyWebData: "CiliumClusterwideNetworkPolicy/deny-web-to-data",
  data: "CiliumNetworkPolicy/data/data-ingress",
  payments: "CiliumNetworkPolicy/payments/payments-ingress",
  auth: "CiliumNetworkPolicy/identity/auth-api-ingress",
};
const PROM_PEER = { matchLabels: { "io.kubernetes.pod.namespace": "monitoring", "app.kubernetes.io/name": "prometheus" } };
const ANY_POD = { matchExpressions: [{ key: "io.kubernetes.pod.namespace", operator: "Exists" }] };
const tcp = (...ports: number[]) => ports.map((p) => ({ port: String(p), protocol: "TCP" }));
const policyDocs: Array<[string, object]> = [
  [
    "HTTP and gRPC visibility for the commerce namespaces: an allow-all L7 rule on the service ports sends\n# them through the proxy; Prometheus may scrape :9090. Anything else into these pods is default-denied.",
    {
      apiVersion: "cilium.io/v2",
      kind: "CiliumClusterwideNetworkPolicy",
      metadata: { name: "l7-visibility" },
      spec: {
        endpointSelector: { matchExpressions: [{ key: "io.kubernetes.pod.namespace", operator: "In", values: L7_NS }] },
        ingress: [
          { fromEndpoints: [ANY_POD], toPorts: [{ ports: tcp(8080, 50051), rules: { http: [{}] } }] },
          { fromEndpoints: [PROM_PEER], toPorts: [{ ports: tcp(9090) }] },
        ],
      },
    },
  ],
  [
    "DNS visibility for every application namespace: lookups go through the DNS proxy; any other pod, the\n# world and the API server stay reachable.",
    {
      apiVersion: "cilium.io/v2",
      kind: "CiliumClusterwideNetworkPolicy",
      metadata: { name: "dns-visibility" },
      spec: {
        endpointSelector: { matchExpressions: [{ key: "io.kubernetes.pod.namespace", operator: "In", values: [...APP_NS] }] },
        egress: [
          {
            toEndpoints: [{ matchLabels: { "io.kubernetes.pod.namespace": "kube-system", "k8s-app": "kube-dns" } }],
            toPorts: [{ ports: [{ port: "53", protocol: "ANY" }], rules: { dns: [{ matchPattern: "*" }] } }],
          },
          {
            toEndpoints: [
              {
                matchExpressions: [
                  { key: "io.kubernetes.pod.namespace", operator: "Exists" },
                  { key: "k8s-app", operator: "NotIn", values: ["kube-dns"] },
                ],
              },
            ],
          },
          { toEntities: ["world", "kube-apiserver"] },
        ],
      },
    },
  ],
  [
    "Platform guard-rail: the web tier never talks to the data tier directly.",
    {
      apiVersion: "cilium.io/v2",
      kind: "CiliumClusterwideNetworkPolicy",
      metadata: { name: "deny-web-to-data" },
      spec: {
        endpointSelector: { matchLabels: { "io.kubernetes.pod.namespace": "data" } },
        ingressDeny: [{ fromEndpoints: [{ matchLabels: { "io.kubernetes.pod.namespace": "web" } }] }],
      },
    },
  ],
  [
    "The data tier accepts connections from any namespace on its service ports only.",
    {
      apiVersion: "cilium.io/v2",
      kind: "CiliumNetworkPolicy",
      metadata: { name: "data-ingress", namespace: "data" },
      spec: { endpointSelector: {}, ingress: [{ fromEndpoints: [ANY_POD], toPorts: [{ ports: tcp(...DATA_PORTS) }] }] },
    },
  ],
  [
    "payments: only checkout, orders and payments itself may call in; Prometheus may scrape :9090.",
    {
      apiVersion: "cilium.io/v2",
      kind: "CiliumNetworkPolicy",
      metadata: { name: "payments-ingress", namespace: "payments" },
      spec: {
        endpointSelector: {},
        ingress: [
          { fromEndpoints: [{ matchExpressions: [{ key: "io.kubernetes.pod.namespace", operator: "In", values: PAYMENTS_CLIENTS }] }] },
          { fromEndpoints: [PROM_PEER], toPorts: [{ ports: tcp(9090) }] },
        ],
      },
    },
  ],
  [
    "auth-api: read-only and token endpoints for everyone, at L7.",
    {
      apiVersion: "cilium.io/v2",
      kind: "CiliumNetworkPolicy",
      metadata: { name: "auth-api-ingress", namespace: "identity" },
      spec: {
        endpointSelector: { matchLabels: { app: "auth-api" } },
        ingress: [
          {
            fromEndpoints: [ANY_POD],
            toPorts: [
              {
                ports: tcp(8080),
                rules: {
                  http: [
                    { method: "GET", path: "/v1/.*" },
                    { method: "POST", path: "/v1/(token|introspect)" },
                  ],
                },
              },
            ],
          },
          { fromEndpoints: [PROM_PEER], toPorts: [{ ports: tcp(9090) }] },
        ],
      },
    },
  ],
];

// ── outcomes (from the policy design above) ─────────────────────────────────────────────
type End = Workload | "host" | "kube-apiserver" | `world:${string}`;
type Side = { allowedBy: string[]; matchType: string; proxy?: boolean };
type Outcome = { result: string; direction?: string; policies?: string[]; denyMatchType?: string; egress?: Side; ingress?: Side };
type Req = { method: string; path: string };
const isPod = (e: End): e is Workload => typeof e === "object";
const isProm = (e: End) => e === prometheus;

function egressSide(from: End, to: End, protocol: string): Side | undefined {
  if (!isPod(from) || !(APP_NS as readonly string[]).includes(from.namespace)) return undefined;
  if (to === coredns && protocol === "dns") return { allowedBy: [P.dns], matchType: "L3-L4", proxy: true };
  if (to === coredns) throw new Error("only DNS to coredns from application namespaces");
  return { allowedBy: [P.dns], matchType: "L3-Only" };
}
type Ingress = { side: Side } | { deny: Outcome } | undefined;
function ingressSide(from: End, to: End, port: number, reqs: Req[]): Ingress {
  if (!isPod(to)) return undefined;
  const local = { side: { allowedBy: ["allow-localhost-ingress"], matchType: "L3-Only" } };
  const dd = (...policies: string[]) => ({ deny: { result: "default-deny", direction: "ingress", policies: policies.sort() } });
  if (to.namespace === "data") {
    if (from === "host") return local;
    if (isPod(from) && from.namespace === "web") return { deny: { result: "deny-rule", direction: "ingress", policies: [P.denyWebData], denyMatchType: "L3-Only" } };
    if (isPod(from) && DATA_PORTS.includes(port)) return { side: { allowedBy: [P.data], matchType: "L3-L4" } };
    return dd(P.denyWebData, P.data);
  }
  if (to.namespace === "payments") {
    if (from === "host") return local;
    if (isPod(from) && PAYMENTS_CLIENTS.includes(from.namespace)) return { side: { allowedBy: [P.payments], matchType: "L3-Only" } };
    if (isProm(from) && port === 9090) return { side: { allowedBy: [P.payments], matchType: "L3-L4" } };
    return dd(P.payments);
  }
  if (to === authApi) {
    if (from === "host") return local;
    if (isPod(from) && port === 8080) {
      const ok = (r: Req) => (r.method === "GET" && /^\/v1\/.*$/.test(r.path)) || (r.method === "POST" && /^\/v1\/(token|introspect)$/.test(r.path));
      const side = { allowedBy: [P.auth], matchType: "L3-L4", proxy: true };
      if (reqs.every(ok)) return { side };
      if (reqs.some(ok)) throw new Error("split the pattern: some requests allowed, some denied");
      return { deny: { result: "l7-deny", direction: "ingress", ingress: side } };
    }
    if (isProm(from) && port === 9090) return { side: { allowedBy: [P.auth], matchType: "L3-L4" } };
    return dd(P.auth);
  }
  if (L7_NS.includes(to.namespace)) {
    if (from === "host") return local;
    if (isPod(from) && (port === 8080 || port === 50051)) return { side: { allowedBy: [P.l7], matchType: "L3-L4", proxy: true } };
    if (isProm(from) && port === 9090) return { side: { allowedBy: [P.l7], matchType: "L3-L4" } };
    return dd(P.l7);
  }
  return undefined;
}
function outcomeFor(from: End, to: End, protocol: string, port: number, reqs: Req[]): Outcome | undefined {
  const egress = egressSide(from, to, protocol);
  const ing = ingressSide(from, to, port, reqs);
  if (ing && "deny" in ing) return { ...ing.deny, ...(egress ? { egress } : {}) };
  const o: Outcome = { result: "forwarded" };
  if (egress) o.egress = egress;
  if (ing) o.ingress = ing.side;
  return o.egress || o.ingress ? o : undefined;
}

// ── traffic ──────────────────────────────────────────────────────────────────────────────
type Pattern = Record<string, unknown> & { name: string; weight: number };
const traffic: Pattern[] = [];
const names = new Set<string>();
const edges = new Set<string>();
/** DNS names each client looks up (services it calls), filled while adding patterns. */
const lookups = new Map<Workload, Set<string>>();
const refOf = (e: End) => (isPod(e) ? `${e.namespace}/${e.name}` : e);
const short = (e: End) => (isPod(e) ? e.name : e.replace(/^world:/, "").replace(/\./g, "-"));
const svcName = (w: Workload) => `${w.service!.name}.${w.namespace}.svc.cluster.local`;

const HTTP_PATHS = ["/v1/items", "/v1/items/4711", "/v1/search", "/v1/status", "/v2/batch", "/v1/events", "/v1/summary", "/v1/config"];
const GRPC_METHODS = ["Get", "List", "Create", "Update", "Watch", "Delete", "BatchGet"];
function camel(s: string): string {
  return s
    .split("-")
    .map((p) => p[0].toUpperCase() + p.slice(1))
    .join("");
}

function addPattern(from: End, to: End, protocol: string, w: number, extra: Record<string, unknown> = {}, opts: { port?: number; name?: string; reqs?: Req[] } = {}): void {
  const port = opts.port ?? (isPod(to) ? to.port : protocol === "tls" ? (to === "kube-apiserver" ? 443 : 443) : 80)!;
  let name = opts.name ?? `${short(from)}-to-${short(to)}${opts.port ? `-${opts.port}` : ""}`;
  if (names.has(name)) name = `${name}-${protocol}`;
  if (names.has(name)) throw new Error(`duplicate pattern ${name}`);
  const edge = `${refOf(from)}>${refOf(to)}:${port}/${protocol === "dns" ? "udp" : "tcp"}`;
  if (edges.has(edge) && !opts.name) return;
  names.add(name);
  edges.add(edge);
  const p: Pattern = { name, from: refOf(from), to: refOf(to), protocol, ...(opts.port ? { port: opts.port } : {}), weight: w, ...extra };
  const outcome = outcomeFor(from, to, protocol, port, opts.reqs ?? []);
  if (outcome) p.outcome = outcome;
  traffic.push(p);
  if (isPod(from) && isPod(to) && to.service && protocol !== "dns") {
    const set = lookups.get(from) ?? new Set<string>();
    set.add(svcName(to));
    lookups.set(from, set);
  }
}

function call(from: Workload, to: Workload, w: number): void {
  if (to.protocol === "grpc") {
    const domain = to.name.replace(/-/g, ".");
    const methods = sample(GRPC_METHODS, int(1, 3)).map((m) => `${m}${camel(to.name.split("-").slice(-1)[0])}`);
    const errorShare = chance(0.3) ? Math.round(rand() * 5) / 100 : 0;
    addPattern(from, to, "grpc", w, { grpc: { service: `${domain}.v1.${camel(to.name)}Service`, methods, ...(errorShare ? { errorShare } : {}) } });
    return;
  }
  if (to === authApi) {
    const requests = [
      { method: "GET", path: "/v1/userinfo" },
      { method: "POST", path: "/v1/introspect", weight: 3 },
    ];
    addPattern(from, to, "http", w, { http: { requests, status: { "200": 97, "401": 3 } } }, { reqs: requests });
    return;
  }
  const requests = sample(HTTP_PATHS, int(1, 3)).map((path, i) => ({ method: i === 0 && chance(0.3) ? "POST" : "GET", path, ...(i === 0 ? { weight: 3 } : {}) }));
  const err = pick([0, 0, 0.5, 1, 2, 5]);
  const status: Record<string, number> = err ? { "200": 100 - err, [pick(["500", "503", "404", "429"])]: err } : { "200": 1 };
  const median = pick([2, 5, 8, 15, 30, 60]);
  addPattern(from, to, "http", w, { http: { requests, status, latencyMs: { median, p99: median * int(8, 25) } } }, { reqs: requests });
}

// 1. the public path
addPattern("world:internet-clients", ingress, "tls", 40);
const web = apps.web;
for (const w of web.filter((x) => x.role === "http").slice(0, 5)) call(ingress, w, weight(4, 12));
call(
  ingress,
  workloads.find((w) => w.name === "default-backend")!,
  0.5,
);
for (const ns of ["identity", "catalog", "search"])
  call(
    ingress,
    apps[ns].find((w) => w.name.endsWith("-gateway"))!,
    weight(3, 8),
  );

// 2. service-to-service inside each namespace and across namespaces
const servers = (ns: string) => apps[ns].filter((w) => w.role === "http" || w.role === "grpc");
const CROSS: Record<string, string[]> = {
  web: ["identity", "catalog", "search", "cart", "checkout", "orders"],
  identity: ["notifications"],
  catalog: ["search", "identity"],
  search: ["catalog", "analytics"],
  cart: ["catalog", "identity"],
  checkout: ["cart", "payments", "orders", "shipping", "identity"],
  orders: ["payments", "shipping", "notifications", "catalog"],
  payments: ["identity", "notifications"],
  shipping: ["orders", "notifications"],
  notifications: ["identity"],
  analytics: ["catalog", "orders", "search"],
};
for (const ns of APP_NS) {
  for (const w of apps[ns]) {
    const local = servers(ns).filter((s) => s !== w);
    for (const to of sample(local, int(1, w.role === "worker" ? 2 : 3) - (chance(0.2) ? 1 : 0))) call(w, to, weight(0.5, 6));
    const crossCount = w.name.endsWith("-gateway") || w.name.endsWith("-graphql") ? int(2, 5) : chance(0.3) ? 1 : 0;
    for (let i = 0; i < crossCount; i++) call(w, pick(servers(pick(CROSS[ns]))), weight(0.3, 4));
    if (ns !== "identity" && chance(0.15)) call(w, authApi, weight(0.5, 3));
  }
}

// 3. the data tier
const DB_OF: Record<string, string> = {
  catalog: "catalog",
  search: "catalog",
  identity: "identity",
  orders: "orders",
  checkout: "orders",
  cart: "orders",
  payments: "payments",
  shipping: "shipping",
  notifications: "orders",
  analytics: "orders",
};
const REDIS_OF: Record<string, Workload> = { identity: redis[0], web: redis[0], cart: redis[1], checkout: redis[1], catalog: redis[2], search: redis[2] };
for (const ns of APP_NS) {
  if (ns === "web") continue; // the guard-rail; see the drop below
  for (const w of apps[ns]) {
    if (chance(0.4)) addPattern(w, pgbouncer[DB_OF[ns]] ?? postgres[DB_OF[ns]], "tcp", weight(0.5, 5));
    if (chance(0.15)) addPattern(w, postgres[DB_OF[ns]], "tcp", weight(0.3, 2));
    if (chance(0.3)) addPattern(w, REDIS_OF[ns] ?? redis[3], "tcp", weight(0.5, 6));
    if (chance(0.3)) {
      const produce = chance(0.5);
      addPattern(w, kafka, "kafka", weight(0.5, 4), {
        kafka: { topics: [`${ns}.events`, ...(chance(0.3) ? [`${ns}.audit`] : [])], apiKeys: produce ? ["produce"] : ["fetch", "offsetcommit"] },
      });
    }
    if ((ns === "search" || ns === "catalog") && chance(0.4))
      addPattern(w, elasticsearch, "http", weight(1, 5), { http: { requests: [{ method: "POST", path: `/${ns}/_search` }], latencyMs: { median: 12, p99: 200 } } });
    if (ns === "analytics" && chance(0.5)) addPattern(w, clickhouse, "http", weight(1, 5), { http: { requests: [{ method: "POST", path: "/?query=INSERT" }] } });
    if (chance(0.06)) addPattern(w, minio, "http", weight(0.3, 2), { http: { requests: [{ method: "PUT", path: `/${ns}-exports/part-0001.parquet` }] } });
    if (chance(0.05)) addPattern(w, schemaRegistry, "http", 0.3, { http: { requests: [{ method: "GET", path: "/subjects" }] } });
  }
}
for (const db of Object.keys(postgres)) {
  addPattern(pgbouncer[db], postgres[db], "tcp", weight(2, 6));
  addPattern(postgres[db], postgres[db], "tcp", 0.3, {}, { name: `postgres-${db}-replication` });
}
addPattern(kafka, zookeeper, "tcp", 1);
addPattern(kafka, kafka, "tcp", 1, {}, { name: "kafka-replication" });
addPattern(schemaRegistry, kafka, "kafka", 0.3, { kafka: { topics: ["_schemas"], apiKeys: ["fetch"] } });
addPattern(elasticsearch, elasticsearch, "tcp", 0.5, {}, { port: 9300, name: "elasticsearch-transport" });

// 4. the outside world (each through a DNS lookup) and the API server
const EXTERNAL: Array<[string, string, string]> = [
  ["payments", "payments-worker", "api.stripe.com"],
  ["payments", "payments-command", "api.adyen.com"],
  ["payments", "payments-webhooks", "api.stripe.com"],
  ["notifications", "notifications-worker", "api.sendgrid.com"],
  ["notifications", "notifications-notifier", "api.twilio.com"],
  ["notifications", "notifications-webhooks", "hooks.slack.com"],
  ["shipping", "shipping-api", "api.shipengine.com"],
  ["shipping", "shipping-sync", "onlinetools.ups.com"],
  ["analytics", "analytics-exporter", "s3.us-east-1.amazonaws.com"],
  ["analytics", "analytics-batch", "s3.us-east-1.amazonaws.com"],
  ["catalog", "catalog-importer", "s3.us-east-1.amazonaws.com"],
  ["search", "search-indexer", "api.openai.com"],
  ["identity", "auth-sync", "www.googleapis.com"],
  ["orders", "orders-worker", "o4504.ingest.sentry.io"],
  ["checkout", "checkout-api", "o4504.ingest.sentry.io"],
];
const externalOf = new Map<Workload, string[]>();
for (const [ns, name, fqdn] of EXTERNAL) {
  const w = apps[ns].find((x) => x.name === name)!;
  externalOf.set(w, [...(externalOf.get(w) ?? []), fqdn]);
}
for (const name of ["cluster-autoscaler", "ebs-csi-controller", "external-dns", "metrics-server"])
  addPattern(
    workloads.find((w) => w.name === name)!,
    "kube-apiserver",
    "tls",
    0.5,
  );
addPattern(ksm, "kube-apiserver", "tls", 1);
addPattern(prometheus, "kube-apiserver", "tls", 0.5);
for (const ns of APP_NS)
  for (const w of sample(
    apps[ns].filter((x) => x.role === "worker"),
    1,
  ))
    addPattern(w, "kube-apiserver", "tls", 0.3);

// 5. observability: scrapes, logs, traces, dashboards
for (const w of workloads) {
  if (w.role === "infra" || w === promtail) continue;
  const port = w.role === "data" ? 9090 : METRICS_PORT(w);
  addPattern(
    prometheus,
    w,
    "http",
    0.25,
    { http: { requests: [{ method: "GET", path: "/metrics" }], userAgent: "Prometheus/2.53.0" } },
    { port, name: `scrape-${w.namespace}-${w.name}`, reqs: [{ method: "GET", path: "/metrics" }] },
  );
}
for (const w of [coredns, ksm, loki, tempo, otel, alertmanager]) {
  addPattern(
    prometheus,
    w,
    "http",
    0.3,
    { http: { requests: [{ method: "GET", path: "/metrics" }], userAgent: "Prometheus/2.53.0" } },
    { port: w === coredns ? 9153 : undefined, name: `scrape-${w.namespace}-${w.name}` },
  );
}
addPattern(promtail, loki, "http", 4, { http: { requests: [{ method: "POST", path: "/loki/api/v1/push" }], status: { "204": 1 }, userAgent: "promtail/3.1.0" } });
addPattern(grafana, prometheus, "http", 1.5, {
  http: { requests: [{ method: "GET", path: "/api/v1/query_range" }], latencyMs: { median: 40, p99: 800 }, userAgent: "Grafana/11.1.0" },
});
addPattern(grafana, loki, "http", 0.5, {
  http: { requests: [{ method: "GET", path: "/loki/api/v1/query_range" }], latencyMs: { median: 80, p99: 1500 }, userAgent: "Grafana/11.1.0" },
});
addPattern(grafana, tempo, "http", 0.3, { http: { requests: [{ method: "GET", path: "/api/traces" }], userAgent: "Grafana/11.1.0" } });
addPattern(prometheus, alertmanager, "http", 0.3, { http: { requests: [{ method: "POST", path: "/api/v2/alerts" }] } });
addPattern(
  otel,
  tempo,
  "grpc",
  2,
  { grpc: { service: "opentelemetry.proto.collector.trace.v1.TraceService", methods: ["Export"] } },
  { port: 4317, name: "otel-collector-to-tempo" },
);
for (const ns of APP_NS) {
  for (const w of apps[ns]) {
    if (chance(0.2)) addPattern(w, otel, "grpc", weight(0.3, 1.5), { grpc: { service: "opentelemetry.proto.collector.trace.v1.TraceService", methods: ["Export"] } });
  }
}
// kubelet probes on about a third of the HTTP services
for (const ns of APP_NS) {
  for (const w of servers(ns)) {
    if (w.role !== "http" || !chance(0.35)) continue;
    addPattern(
      "host",
      w,
      "http",
      0.3,
      { http: { requests: [{ method: "GET", path: "/healthz" }], userAgent: "kube-probe/1.30", host: `${w.name}:8080` } },
      { port: 8080, name: `kubelet-probe-${ns}-${w.name}` },
    );
  }
}

// 6. the drops to find among 1,500 edges
call(
  apps.analytics.find((w) => w.name === "analytics-reports")!,
  apps.payments.find((w) => w.name === "payments-api")!,
  0.4,
); // default deny into payments
addPattern(
  web.find((w) => w.name === "storefront-reports")!,
  postgres.orders,
  "tcp",
  0.4,
  {},
  { name: "storefront-reports-to-postgres-orders" },
); // deny-rule 181
addPattern(
  apps.orders.find((w) => w.name === "orders-worker")!,
  pgbouncer.orders,
  "tcp",
  0.4,
  {},
  { port: 5433, name: "orders-worker-to-pgbouncer-wrong-port" },
); // 133
{
  const requests = [{ method: "DELETE", path: "/v1/sessions/all" }];
  addPattern(
    apps.identity.find((w) => w.name === "auth-admin")!,
    authApi,
    "http",
    0.3,
    { http: { requests } },
    { name: "auth-admin-revoke-sessions", reqs: requests },
  ); // 403
}

// 7. DNS: every client looks up the services it calls (and its external names, via resolveVia)
const dnsFirst: Pattern[] = [];
for (const w of workloads) {
  const names = [...(lookups.get(w) ?? [])].sort();
  const ext = externalOf.get(w) ?? [];
  if (names.length === 0 && ext.length === 0) continue;
  const dnsName = `${w.namespace}-${w.name}-dns`;
  const totalWeight = traffic.filter((t) => t.from === refOf(w)).reduce((a, t) => a + t.weight, 0);
  const queries = (names.length ? names : [svcName(kafka)]).slice(0, 6).map((name) => ({ name }));
  const before = traffic.length;
  addPattern(
    w,
    coredns,
    "dns",
    Math.max(0.2, Math.round(totalWeight * 30) / 100),
    { dns: { queries, nxdomainShare: (APP_NS as readonly string[]).includes(w.namespace) ? 0.3 : 0 } },
    { name: dnsName },
  );
  dnsFirst.push(...traffic.splice(before));
  for (const fqdn of ext) addPattern(w, `world:${fqdn}`, "tls", weight(0.3, 1.5), { resolveVia: dnsName }, { name: `${w.namespace}-${w.name}-to-${fqdn.replace(/\./g, "-")}` });
}
traffic.push(...dnsFirst);
traffic.push({ name: "health", protocol: "cilium-health", weight: 2 });

// ── write ────────────────────────────────────────────────────────────────────────────────
const scenario = {
  name: "large",
  description: `Benchmark cluster — ${namespaces.length} namespaces, ${workloads.length} workloads on ${nodes.length} nodes, ~${Math.round(edges.size / 100) * 100} distinct edges; generated by scripts/gen-large-scenario.ts`,
  cluster: "default",
  policyRevision: 118,
  nodes,
  namespaces,
  workloads: workloads.map(({ role: _r, port: _p, protocol: _q, replicas, kind, ...w }) => ({
    namespace: w.namespace,
    name: w.name,
    kind,
    ...(kind === "DaemonSet" ? {} : { replicas }),
    serviceAccount: w.serviceAccount,
    identity: w.identity,
    labels: w.labels,
    ...(w.service ? { service: w.service } : {}),
  })),
  entities: { kubeApiserver: { ips: ["10.20.0.10"], port: 443 }, world },
  traffic,
};

const header = `# "large": a 300-workload cluster for the UI benchmark (npm run bench:ui). GENERATED by
# scripts/gen-large-scenario.ts — edit the script, not this file, and re-run it:
#   node --conditions=react-server --import tsx scripts/gen-large-scenario.ts
# Drops: analytics-reports → payments-api (default deny), storefront-reports → postgres-orders
# (deny-web-to-data, 181), orders-worker → pgbouncer-orders:5433 (default deny), Prometheus →
# payments-audit:9102 (default deny), auth-admin DELETE /v1/sessions/all (403 from the proxy).
`;
// One line per node, namespace, workload and pattern (flow mappings), like the hand-written scenarios.
// No anchors: the loader's YAML parser allows only 100 aliases.
const doc = new Document(scenario, { aliasDuplicateObjects: false });
for (const key of ["nodes", "namespaces", "workloads", "traffic"]) {
  const seq = doc.get(key);
  if (isSeq(seq)) for (const item of seq.items) if (isMap(item)) item.flow = true;
}
const worldSeq = doc.getIn(["entities", "world"]);
if (isSeq(worldSeq)) for (const item of worldSeq.items) if (isMap(item)) item.flow = true;
const yamlOut = header + doc.toString({ lineWidth: 0 });
const policiesOut =
  '# Network policies in force in the "large" cluster. GENERATED by scripts/gen-large-scenario.ts.\n' +
  policyDocs.map(([comment, doc]) => `---\n# ${comment}\n${stringify(doc, { lineWidth: 0 })}`).join("");

const checkOnly = process.argv.includes("--check-only");
const target = join(DIR, "large.yaml");
const policiesTarget = join(DIR, "large.policies.yaml");
if (checkOnly) {
  const same = readFileSync(target, "utf8") === yamlOut && readFileSync(policiesTarget, "utf8") === policiesOut;
  if (!same) {
    console.error("large.yaml or large.policies.yaml differs from what the generator writes");
    process.exit(1);
  }
} else {
  writeFileSync(target, yamlOut);
  writeFileSync(policiesTarget, policiesOut);
}

// Verify: it loads, the outcomes follow from the policies, and the pod IPs fit the /24s.
const loaded = loadScenario(target);
const problems = checkOutcomes(loaded);
const topo = new Topology(loaded);
const badIps = topo.pods.filter((p) => Number(p.ip.split(".")[3]) > 254);
const perNode = topo.nodes.map((n) => topo.pods.filter((p) => p.node === n).length);
const results = new Map<string, number>();
for (const t of loaded.traffic) results.set(t.outcome.result, (results.get(t.outcome.result) ?? 0) + 1);
console.log(
  `large: ${loaded.namespaces.length} namespaces, ${loaded.workloads.length} workloads, ${topo.pods.length} pods on ${loaded.nodes.length} nodes (${perNode.join("/")}), ` +
    `${loaded.traffic.length} patterns, ${edges.size} distinct src→dst:port edges, ${loaded.policies.length} policies; outcomes ${JSON.stringify(Object.fromEntries(results))}`,
);
if (badIps.length) console.error(`pod IPs beyond .254: ${badIps.map((p) => `${p.name} ${p.ip}`).join(", ")}`);
if (problems.length) console.error(`checkOutcomes: ${problems.length} problem(s)\n${problems.slice(0, 20).join("\n")}`);
else console.log("checkOutcomes: consistent");
process.exit(problems.length || badIps.length ? 1 : 0);
