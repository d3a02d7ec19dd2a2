import "server-only";

import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { writeFileSync } from "node:fs";
import { join } from "node:path";

// A stand-in for kube-apiserver in tests (there is none on a build machine): just enough of the
// list + watch protocol for the resources the Kubernetes source reads. Lists answer with the
// current items and a resourceVersion; `?watch=true` streams {type, object} JSON lines (ADDED,
// MODIFIED, DELETED, ERROR) until the test or `timeoutSeconds` ends it. Resources can be made
// forbidden (403 Status, as RBAC answers) or absent (404, as for a CRD that is not installed).

interface Resource {
  readonly group: string;
  readonly plural: string;
  readonly listKind: string;
  readonly items: Map<string, Record<string, unknown>>;
  forbidden: boolean;
  absent: boolean;
}

export const PATHS = {
  cnp: "/apis/cilium.io/v2/ciliumnetworkpolicies",
  ccnp: "/apis/cilium.io/v2/ciliumclusterwidenetworkpolicies",
  ccg: "/apis/cilium.io/v2/ciliumcidrgroups",
  np: "/apis/networking.k8s.io/v1/networkpolicies",
  namespaces: "/api/v1/namespaces",
} as const;

export type ResourceName = keyof typeof PATHS;

export class FakeApiServer {
  private readonly server: Server;
  private readonly resources = new Map<string, Resource>();
  private readonly watchers = new Map<string, Set<ServerResponse>>();
  private rv = 100;
  /** Every request, as "GET /path?query", for assertions on what the client asked. */
  readonly requests: string[] = [];
  readonly authorizations = new Set<string>();
  port = 0;

  constructor() {
    const add = (name: ResourceName, group: string, plural: string, listKind: string) =>
      this.resources.set(PATHS[name], { group, plural, listKind, items: new Map(), forbidden: false, absent: false });
    add("cnp", "cilium.io", "ciliumnetworkpolicies", "CiliumNetworkPolicyList");
    add("ccnp", "cilium.io", "ciliumclusterwidenetworkpolicies", "CiliumClusterwideNetworkPolicyList");
    add("ccg", "cilium.io", "ciliumcidrgroups", "CiliumCIDRGroupList");
    add("np", "networking.k8s.io", "networkpolicies", "NetworkPolicyList");
    add("namespaces", "", "namespaces", "NamespaceList");
    this.server = createServer((req, res) => this.handle(req, res));
  }

  async listen(port = 0): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(port, "127.0.0.1", () => resolve());
    });
    const a = this.server.address();
    if (a === null || typeof a === "string") throw new Error("no address");
    this.port = a.port;
  }

  async close(): Promise<void> {
    for (const set of this.watchers.values()) for (const res of set) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** A kubeconfig file for this server, with a bearer token. */
  writeKubeconfig(dir: string): string {
    const file = join(dir, "kubeconfig");
    writeFileSync(
      file,
      `apiVersion: v1
kind: Config
clusters:
- name: fake
  cluster:
    server: http://127.0.0.1:${this.port}
    insecure-skip-tls-verify: true
users:
- name: tester
  user:
    token: test-token
contexts:
- name: fake
  context: {cluster: fake, user: tester}
current-context: fake
`,
    );
    return file;
  }

  setForbidden(name: ResourceName, forbidden: boolean): void {
    this.resource(name).forbidden = forbidden;
  }

  setAbsent(name: ResourceName, absent: boolean): void {
    this.resource(name).absent = absent;
  }

  /** Puts an object without telling watchers (state before the client lists). */
  seed(name: ResourceName, obj: Record<string, unknown>): void {
    this.store(name, obj);
  }

  /** ADDED, MODIFIED or DELETED: changes the store and streams the event to every watcher. */
  emit(name: ResourceName, type: "ADDED" | "MODIFIED" | "DELETED", obj: Record<string, unknown>): void {
    const stored = type === "DELETED" ? this.remove(name, obj) : this.store(name, obj);
    this.send(name, { type, object: stored });
  }

  /** An in-stream error, e.g. 410 Gone when the watched resourceVersion is too old; then the stream ends. */
  expireWatches(name: ResourceName): void {
    this.send(name, { type: "ERROR", object: { kind: "Status", apiVersion: "v1", status: "Failure", reason: "Expired", code: 410, message: "too old resource version" } });
    for (const res of this.watchers.get(PATHS[name]) ?? []) res.end();
  }

  /** Ends every watch of a resource normally, as the API server does after `timeoutSeconds`. */
  endWatches(name: ResourceName): void {
    for (const res of this.watchers.get(PATHS[name]) ?? []) res.end();
  }

  watcherCount(name: ResourceName): number {
    return this.watchers.get(PATHS[name])?.size ?? 0;
  }

  private resource(name: ResourceName): Resource {
    return this.resources.get(PATHS[name])!;
  }

  private store(name: ResourceName, obj: Record<string, unknown>): Record<string, unknown> {
    const meta: Record<string, unknown> = { ...(obj.metadata as Record<string, unknown>), resourceVersion: String(++this.rv) };
    const stored = { ...obj, metadata: meta };
    this.resource(name).items.set(`${String(meta.namespace ?? "")}/${String(meta.name)}`, stored);
    return stored;
  }

  private remove(name: ResourceName, obj: Record<string, unknown>): Record<string, unknown> {
    const meta = obj.metadata as Record<string, unknown>;
    this.resource(name).items.delete(`${String(meta.namespace ?? "")}/${String(meta.name)}`);
    return { ...obj, metadata: { ...meta, resourceVersion: String(++this.rv) } };
  }

  private send(name: ResourceName, event: unknown): void {
    for (const res of this.watchers.get(PATHS[name]) ?? []) res.write(`${JSON.stringify(event)}\n`);
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? "/", "http://fake");
    this.requests.push(`${req.method} ${url.pathname}${url.search}`);
    if (req.headers.authorization) this.authorizations.add(req.headers.authorization);
    const r = this.resources.get(url.pathname);
    const watching = url.searchParams.get("watch") === "true" || url.searchParams.get("watch") === "1";
    if (!r || r.absent) {
      return status(res, 404, "NotFound", "the server could not find the requested resource");
    }
    if (r.forbidden) {
      const verb = watching ? "watch" : "list";
      const resource = r.group ? `${r.plural}.${r.group}` : r.plural;
      return status(
        res,
        403,
        "Forbidden",
        `${resource} is forbidden: User "system:serviceaccount:hubble-lens:hubble-lens" cannot ${verb} resource "${r.plural}" in API group "${r.group}" at the cluster scope`,
      );
    }
    if (watching) {
      res.writeHead(200, { "Content-Type": "application/json", "Transfer-Encoding": "chunked" });
      res.flushHeaders();
      let set = this.watchers.get(url.pathname);
      if (!set) this.watchers.set(url.pathname, (set = new Set()));
      set.add(res);
      res.on("close", () => set.delete(res));
      return;
    }
    // Paging as the API server does it: `limit` items, then an opaque `continue` token.
    const all = [...r.items.values()];
    const offset = Number(url.searchParams.get("continue") ?? "0");
    const limit = Number(url.searchParams.get("limit") ?? "0") || all.length;
    const page = all.slice(offset, offset + limit);
    const next = offset + limit < all.length ? String(offset + limit) : undefined;
    const body = {
      apiVersion: r.group ? `${r.group}/v1` : "v1",
      kind: r.listKind,
      metadata: { resourceVersion: String(this.rv), ...(next ? { continue: next } : {}) },
      // Items of built-in lists come without apiVersion and kind, as the real API server sends them.
      items: page.map((o) => (r.group === "cilium.io" ? o : { metadata: o.metadata, spec: o.spec })),
    };
    res.writeHead(200, { "Content-Type": "application/json" });
    res.end(JSON.stringify(body));
  }
}

function status(res: ServerResponse, code: number, reason: string, message: string): void {
  res.writeHead(code, { "Content-Type": "application/json" });
  res.end(JSON.stringify({ kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, reason, code }));
}
