import "server-only";

import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, join } from "node:path";
import type { ConfigurationOptions, KubeConfig } from "@kubernetes/client-node";
import { policyFromObject } from "@/lib/policy";
import type { PolicyObject, PolicyProblem } from "@/lib/policy/types";
import { log } from "@/server/log";
import { abortableSleep, backoffCeiling, type BackoffPolicy } from "@/server/relay-client/backoff";
import { classifyFailure, type ClassifiedFailure, type WatchedResource } from "./kubernetes-errors";
import type { PolicySource, ResourceStatus, SourceSink, SourceStatus } from "./source";

// The cluster's policies, read-only: list, then watch from the list's resourceVersion, for the
// three policy kinds, the CiliumCIDRGroups they refer to, and namespaces (namespace selectors
// match on their labels). Each resource runs its own loop, so a forbidden or missing one (Cilium CRDs absent, RBAC without CCNP) is reported
// and retried while the others keep working. Nothing here throws into the server or blocks its
// start for long: an unreachable API server means an empty set in "loading", then "error" with
// the reason and the next try, retried with backoff forever.

export const WATCHED_RESOURCES: readonly WatchedResource[] = [
  { resource: "ciliumnetworkpolicies.cilium.io", group: "cilium.io", version: "v2", plural: "ciliumnetworkpolicies", kind: "CiliumNetworkPolicy" },
  { resource: "ciliumclusterwidenetworkpolicies.cilium.io", group: "cilium.io", version: "v2", plural: "ciliumclusterwidenetworkpolicies", kind: "CiliumClusterwideNetworkPolicy" },
  // Policies refer to CIDR groups by name or labels; v2 since Cilium 1.18 (v2alpha1 before).
  { resource: "ciliumcidrgroups.cilium.io", group: "cilium.io", version: "v2", plural: "ciliumcidrgroups", kind: "CiliumCIDRGroup" },
  { resource: "networkpolicies.networking.k8s.io", group: "networking.k8s.io", version: "v1", plural: "networkpolicies", kind: "NetworkPolicy" },
  { resource: "namespaces", group: "", version: "v1", plural: "namespaces", kind: "Namespace" },
];

const SERVICE_ACCOUNT_TOKEN = "/var/run/secrets/kubernetes.io/serviceaccount/token";

/** Whether a kubeconfig ($KUBECONFIG, ~/.kube/config) or an in-cluster service account is there. */
export function kubeconfigAvailable(env: Record<string, string | undefined> = process.env): boolean {
  const listed = (env.KUBECONFIG ?? "").split(delimiter).filter((p) => p !== "");
  if (listed.some((p) => existsSync(p))) return true;
  if (listed.length === 0 && existsSync(join(env.HOME ?? homedir(), ".kube", "config"))) return true;
  return env.KUBERNETES_SERVICE_HOST !== undefined && existsSync(SERVICE_ACCOUNT_TOKEN);
}

export interface KubernetesSourceOptions {
  /** A loaded configuration (tests); by default KubeConfig.loadFromDefault(). */
  readonly kubeConfig?: KubeConfig;
  /** How long start() waits for the first lists before the server goes on without them. */
  readonly initialWaitMs?: number;
  readonly backoff?: BackoffPolicy;
  /** Asks the API server to end each watch after this long (it is then resumed); bounds stuck watches. */
  readonly watchTimeoutSeconds?: number;
  /** Events closer together than this make one version. */
  readonly settleMs?: number;
  /** Page size of lists. */
  readonly pageSize?: number;
}

type RawObject = {
  metadata?: { name?: string; namespace?: string; resourceVersion?: string; labels?: Record<string, string>; managedFields?: unknown; annotations?: Record<string, string> };
} & Record<string, unknown>;

interface ListPage {
  items: RawObject[];
  resourceVersion: string;
  continueToken: string | undefined;
}

/** The client-node pieces the loops use; loaded lazily, as the library is large. */
interface Client {
  readonly server: string;
  listPage(r: WatchedResource, continueToken: string | undefined, signal: AbortSignal): Promise<ListPage>;
  watch(r: WatchedResource, resourceVersion: string, onEvent: (type: string, obj: RawObject) => void, signal: AbortSignal): Promise<void>;
}

const FIRST_SET_WAIT_MS = 10_000;
const LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";

export class KubernetesSource implements PolicySource {
  readonly kind = "kubernetes" as const;
  private readonly abort = new AbortController();
  private readonly resources: ResourceLoop[] = [];
  private sink: SourceSink | undefined;
  private emitTimer: NodeJS.Timeout | undefined;
  private firstSetTimer: NodeJS.Timeout | undefined;
  /** A first set went out. */
  private delivered = false;
  private readonly running: Promise<void>[] = [];
  private lastStatusText = "";

  constructor(private readonly options: KubernetesSourceOptions = {}) {}

  async start(sink: SourceSink): Promise<void> {
    this.sink = sink;
    sink.status({ state: "loading", message: "listing policies from the Kubernetes API" });
    let client: Client;
    try {
      client = await makeClient(this.options.kubeConfig, this.options.watchTimeoutSeconds ?? 300, this.options.pageSize ?? 500);
    } catch (err) {
      // The API shows this message: name files by their base name, never the server's paths.
      const why = (err instanceof Error ? err.message : String(err)).replace(/(?<![\w.])(?:\/[\w.@+~-]+)+\/([\w.@+~-]+)/g, "…/$1");
      sink.status({ state: "error", message: `cannot use the kubeconfig: ${why}` });
      return;
    }
    const firstRound: Promise<void>[] = [];
    for (const r of WATCHED_RESOURCES) {
      let settled!: () => void;
      firstRound.push(new Promise<void>((resolve) => (settled = resolve)));
      const loop = new ResourceLoop(r, client, this.abort.signal, this.options.backoff ?? { baseMs: 1000, capMs: 60_000 }, {
        changed: () => this.scheduleEmit(),
        status: () => this.reportStatus(),
        firstAttemptDone: () => settled(),
      });
      this.resources.push(loop);
      this.running.push(loop.run());
    }
    const wait = this.options.initialWaitMs ?? 3000;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(firstRound), new Promise<void>((resolve) => (timer = setTimeout(resolve, wait)))]);
    clearTimeout(timer);
    if (this.resources.every((l) => l.settled)) this.emitNow();
  }

  async close(): Promise<void> {
    this.abort.abort();
    clearTimeout(this.emitTimer);
    clearTimeout(this.firstSetTimer);
    await Promise.allSettled(this.running);
  }

  private scheduleEmit(): void {
    if (this.emitTimer !== undefined) return;
    // The first set becomes the oldest version, used for every flow from before it: it goes out
    // only once every resource was listed or answered for good (forbidden, absent), never as half
    // a cluster because one list came back sooner. A resource that stays unreachable while others
    // list is waited for a while, not for ever.
    if (!this.delivered && !this.resources.every((l) => l.settled)) {
      if (this.firstSetTimer === undefined && this.resources.some((l) => l.listed)) {
        this.firstSetTimer = setTimeout(() => this.emitNow(), FIRST_SET_WAIT_MS);
        this.firstSetTimer.unref?.();
      }
      return;
    }
    this.emitTimer = setTimeout(() => {
      this.emitTimer = undefined;
      this.emitNow();
    }, this.options.settleMs ?? 150);
    this.emitTimer.unref?.();
  }

  private emitNow(): void {
    if (this.abort.signal.aborted || !this.sink) return;
    // Nothing listed yet (API unreachable): an empty set would become the oldest version and be
    // used for every earlier flow; stay at the placeholder, the status says why.
    if (!this.resources.some((l) => l.listed)) {
      this.reportStatus();
      return;
    }
    this.delivered = true;
    clearTimeout(this.firstSetTimer);
    const policies: PolicyObject[] = [];
    const problems: PolicyProblem[] = [];
    const namespaceLabels: Record<string, Record<string, string>> = {};
    for (const loop of this.resources) {
      const failure = loop.failure;
      if (failure) problems.push({ where: `kubernetes ${loop.resource.resource}`, message: failure.message });
      for (const obj of loop.objects.values()) {
        if (loop.resource.kind === "Namespace") {
          const name = obj.metadata?.name;
          if (name) namespaceLabels[name] = { ...(obj.metadata?.labels ?? {}), "kubernetes.io/metadata.name": name };
          continue;
        }
        const r = policyFromObject(obj, "kubernetes");
        if (r.policy) policies.push(r.policy);
        if (r.problem) {
          const ns = obj.metadata?.namespace;
          problems.push({ where: `kubernetes ${loop.resource.kind} ${ns ? `${ns}/` : ""}${obj.metadata?.name ?? "?"}`, message: r.problem.message });
        }
      }
    }
    this.sink.state({ policies, namespaceLabels, problems });
    this.reportStatus();
  }

  private reportStatus(): void {
    if (!this.sink || this.abort.signal.aborted) return;
    const resources: ResourceStatus[] = this.resources.map((l) => l.status());
    const failing = this.resources.filter((l) => l.failure && l.failure.kind !== "absent");
    const unreachable = failing.find((l) => l.failure?.kind === "unreachable");
    let status: SourceStatus;
    if (failing.length === 0) {
      const loading = !this.delivered;
      const absent = this.resources.filter((l) => l.failure?.kind === "absent").map((l) => l.failure!.message);
      status = { state: loading ? "loading" : "ready", message: absent.length > 0 ? absent.join("; ") : null, resources };
    } else if (unreachable) {
      status = { state: "error", message: `${unreachable.failure!.message}; retrying ${unreachable.retryText()}`, resources };
    } else {
      status = { state: "error", message: failing.map((l) => `${l.failure!.message}; retrying ${l.retryText()}`).join(" — "), resources };
    }
    const text = JSON.stringify([status.state, status.message]);
    if (text !== this.lastStatusText) {
      this.lastStatusText = text;
      if (status.state === "error") log.warn(`policies: ${status.message}`);
      else if (status.state === "ready") log.info(`policies: Kubernetes source ready${status.message ? ` (${status.message})` : ""}`);
    }
    this.sink.status(status);
  }
}

interface LoopEvents {
  changed(): void;
  status(): void;
  firstAttemptDone(): void;
}

/** list + watch of one resource, forever, with backoff between failures. */
class ResourceLoop {
  readonly objects = new Map<string, RawObject>();
  failure: ClassifiedFailure | null = null;
  attempted = false;
  /** Listed successfully at least once. */
  listed = false;

  /** Listed, or answered in a way waiting will not change soon (forbidden, absent). */
  get settled(): boolean {
    return this.listed || (this.failure !== null && this.failure.kind !== "unreachable");
  }
  private nextTryAt = 0;
  private state: ResourceStatus["state"] = "loading";

  constructor(
    readonly resource: WatchedResource,
    private readonly client: Client,
    private readonly signal: AbortSignal,
    private readonly backoff: BackoffPolicy,
    private readonly events: LoopEvents,
  ) {}

  status(): ResourceStatus {
    return {
      resource: this.resource.resource,
      state: this.state,
      message: this.failure ? this.failure.message : null,
      ...(this.failure ? { nextTryAt: new Date(this.nextTryAt).toISOString() } : {}),
    };
  }

  retryText(): string {
    const s = Math.max(0, Math.round((this.nextTryAt - Date.now()) / 1000));
    return s <= 0 ? "now" : `in ${s} s`;
  }

  async run(): Promise<void> {
    let attempt = 0;
    while (!this.signal.aborted) {
      let verb: "list" | "watch" = "list";
      try {
        const rv = await this.list();
        this.succeeded();
        attempt = 0;
        verb = "watch";
        await this.watchFrom(rv);
        continue; // 410 Gone or a watch that ended too often: list again at once
      } catch (err) {
        if (this.signal.aborted) return;
        const failure = classifyFailure(err, verb, this.resource, this.client.server);
        if (failure.kind === "expired") continue;
        attempt++;
        // Equal jitter: never retry at once, never all resources together.
        const ceiling = backoffCeiling(attempt, this.backoff);
        const delay = failure.kind === "absent" ? this.backoff.capMs : Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
        this.nextTryAt = Date.now() + delay;
        this.fail(failure);
        await abortableSleep(delay, this.signal);
      }
    }
  }

  private succeeded(): void {
    const wasFailing = this.failure !== null;
    this.failure = null;
    this.listed = true;
    this.state = "ready";
    this.markAttempted();
    this.events.changed();
    if (wasFailing) this.events.status();
  }

  private fail(failure: ClassifiedFailure): void {
    // Objects from before the failure stay: the last known set is a better guess than none.
    const changed = this.failure?.message !== failure.message;
    this.failure = failure;
    this.state = failure.kind === "absent" ? "absent" : "retrying";
    this.markAttempted();
    if (changed) this.events.changed(); // problems carry the failure
    this.events.status();
  }

  private markAttempted(): void {
    if (this.attempted) return;
    this.attempted = true;
    this.events.firstAttemptDone();
  }

  /** A full, paged list that replaces what is known; returns the resourceVersion to watch from. */
  private async list(): Promise<string> {
    const items: RawObject[] = [];
    let token: string | undefined;
    let rv = "";
    do {
      const page = await this.client.listPage(this.resource, token, this.signal);
      items.push(...page.items);
      rv = page.resourceVersion;
      token = page.continueToken;
    } while (token);
    this.objects.clear();
    for (const item of items) this.put(item);
    return rv;
  }

  /** Watches until the stream needs a new list (410) or fails (throws). */
  private async watchFrom(listedRv: string): Promise<void> {
    let rv = listedRv;
    let quickEnds = 0;
    while (!this.signal.aborted) {
      let gone = false;
      let sawEvent = false;
      const started = Date.now();
      await this.client.watch(
        this.resource,
        rv,
        (type, obj) => {
          sawEvent = true;
          if (type === "ERROR") {
            if ((obj as { code?: unknown }).code === 410) gone = true;
            return;
          }
          const objRv = obj.metadata?.resourceVersion;
          if (objRv) rv = objRv;
          if (type === "ADDED" || type === "MODIFIED") this.put(obj);
          else if (type === "DELETED") this.objects.delete(keyOf(obj));
          else return; // BOOKMARK: only the resourceVersion moves
          this.events.changed();
        },
        this.signal,
      );
      if (gone) return;
      // A watch the server ends at once, again and again, is broken; back off through a fresh list.
      quickEnds = !sawEvent && Date.now() - started < 1000 ? quickEnds + 1 : 0;
      if (quickEnds >= 3) throw new Error("the watch keeps ending at once");
    }
  }

  private put(obj: RawObject): void {
    if (!obj?.metadata?.name) return;
    this.objects.set(keyOf(obj), slim(obj, this.resource));
  }
}

function keyOf(obj: RawObject): string {
  return `${obj.metadata?.namespace ?? ""}/${obj.metadata?.name ?? ""}`;
}

/**
 * The object as it matters here: list items of built-in types come without apiVersion and kind,
 * and managedFields and the last-applied annotation double an object's size for nothing.
 */
function slim(obj: RawObject, r: WatchedResource): RawObject {
  const metadata = { ...obj.metadata };
  delete metadata.managedFields;
  if (metadata.annotations && LAST_APPLIED in metadata.annotations) {
    const { [LAST_APPLIED]: _dropped, ...rest } = metadata.annotations;
    void _dropped;
    metadata.annotations = rest;
    if (Object.keys(rest).length === 0) delete metadata.annotations;
  }
  if (r.kind === "Namespace") return { metadata: { name: metadata.name, labels: metadata.labels } };
  const apiVersion = r.group === "" ? r.version : `${r.group}/${r.version}`;
  return { ...obj, apiVersion, kind: r.kind, metadata };
}

async function makeClient(given: KubeConfig | undefined, watchTimeoutSeconds: number, pageSize: number): Promise<Client> {
  const k8s = await import("@kubernetes/client-node");
  const kc = given ?? new k8s.KubeConfig();
  if (!given) kc.loadFromDefault();
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error("no current cluster in the kubeconfig");
  const server = cluster.server;
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const watcher = new k8s.Watch(kc);

  // Bound each list: a black-holed API server would otherwise hold the loop for minutes.
  const withSignal = (signal: AbortSignal): ConfigurationOptions => ({
    middleware: [
      {
        pre: (ctx) => {
          ctx.setSignal(AbortSignal.any([signal, AbortSignal.timeout(30_000)]));
          return new k8s.Observable(Promise.resolve(ctx));
        },
        post: (res) => new k8s.Observable(Promise.resolve(res)),
      },
    ],
    middlewareMergeStrategy: "append",
  });

  return {
    server,
    async listPage(r, continueToken, signal) {
      if (r.group === "") {
        const list = await core.listNamespace({ limit: pageSize, _continue: continueToken }, withSignal(signal));
        return {
          // Only labels are used; the typed model is reduced to them at once.
          items: list.items.map((ns) => ({ metadata: { name: ns.metadata?.name, labels: ns.metadata?.labels } })),
          resourceVersion: list.metadata?.resourceVersion ?? "",
          continueToken: list.metadata?._continue || undefined,
        };
      }
      const list = (await custom.listClusterCustomObject(
        { group: r.group, version: r.version, plural: r.plural, limit: pageSize, _continue: continueToken },
        withSignal(signal),
      )) as { items?: RawObject[]; metadata?: { resourceVersion?: string; continue?: string } };
      return {
        items: Array.isArray(list.items) ? list.items : [],
        resourceVersion: list.metadata?.resourceVersion ?? "",
        continueToken: list.metadata?.continue || undefined,
      };
    },
    watch(r, resourceVersion, onEvent, signal) {
      const path = r.group === "" ? `/api/${r.version}/${r.plural}` : `/apis/${r.group}/${r.version}/${r.plural}`;
      return new Promise<void>((resolve, reject) => {
        let controller: AbortController | undefined;
        let finished = false;
        const finish = (err: unknown) => {
          if (finished) return;
          finished = true;
          clearTimeout(stuck);
          signal.removeEventListener("abort", onAbort);
          controller?.abort();
          if (err && !signal.aborted) reject(err);
          else resolve();
        };
        const onAbort = () => finish(null);
        signal.addEventListener("abort", onAbort, { once: true });
        // The server ends a watch after timeoutSeconds; silence well past that means a dead connection.
        const stuck = setTimeout(() => finish(new Error("the watch went silent (timed out)")), (watchTimeoutSeconds + 60) * 1000);
        stuck.unref?.();
        watcher
          .watch(
            path,
            { resourceVersion, allowWatchBookmarks: true, timeoutSeconds: watchTimeoutSeconds },
            (type, obj) => {
              if (!finished) onEvent(type, obj as RawObject);
            },
            (err) => finish(err),
          )
          .then(
            (c) => {
              controller = c;
              if (finished) c.abort();
            },
            (err) => finish(err),
          );
      });
    },
  };
}
