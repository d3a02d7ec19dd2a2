import { describe, it, before } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { parseAllDocuments } from "yaml";
import { parseBasePath } from "@/lib/base-path";
import { VARIABLES } from "@/server/config/env";

// Renders every kustomization under deploy/ with `kubectl kustomize` (offline) and checks what a
// cluster would get: probes that hit routes the app really serves, a pod that runs as the image's
// non-root user on a read-only root filesystem, RBAC that only reads, and environment variables
// that server/config/env.ts knows (a typo there would be silently ignored by the server).

const ROOT = resolve(__dirname, "..");
const DEPLOY = join(ROOT, "deploy");

type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string }; [k: string]: unknown };
// Read loosely: the rendered YAML is data to check, not a type we own.
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see the line above
type Any = any;

function kustomize(dir: string): Obj[] {
  const r = spawnSync("kubectl", ["kustomize", dir], { encoding: "utf8", timeout: 60_000 });
  assert.equal(r.status, 0, `kubectl kustomize ${relative(ROOT, dir)} failed: ${r.stderr || r.error}`);
  const docs = parseAllDocuments(r.stdout);
  for (const d of docs) assert.equal(d.errors.length, 0, `${relative(ROOT, dir)}: ${d.errors.join("; ")}`);
  return docs.map((d) => d.toJS() as Obj).filter((o) => o !== null);
}

/** The base (or an overlay) with components (a component needs a kustomization that uses it: a throwaway one). */
function kustomizeWith(components: readonly string[], resource = "base"): Obj[] {
  const dir = mkdtempSync(join(tmpdir(), "hubble-lens-kustomize-"));
  try {
    // kustomize takes relative paths only.
    const base = relative(dir, join(DEPLOY, resource));
    const paths = components.map((c) => relative(dir, join(DEPLOY, "components", c)));
    writeFileSync(join(dir, "kustomization.yaml"), `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [${base}]\ncomponents: [${paths.join(", ")}]\n`);
    return kustomize(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Base, each overlay, and the base with the optional components. */
function renderAll(): Map<string, Obj[]> {
  const out = new Map<string, Obj[]>();
  out.set("base", kustomize(join(DEPLOY, "base")));
  for (const overlay of ["relay-tls", "postgres"]) out.set(overlay, kustomize(join(DEPLOY, "overlays", overlay)));
  out.set("base+ingress", kustomizeWith(["ingress"]));
  out.set("base+ingress+sub-path", kustomizeWith(["ingress", "sub-path"]));
  out.set("base+sub-path", kustomizeWith(["sub-path"]));
  out.set("base+oauth2-proxy", kustomizeWith(["oauth2-proxy"]));
  out.set("base+clickhouse-history", kustomizeWith(["clickhouse-history"]));
  out.set("postgres+clickhouse-history", kustomizeWith(["clickhouse-history"], "overlays/postgres"));
  return out;
}

/** HUBBLE_LENS_BASE_PATH of the rendered container, canonical ("" at the root), checked as the server checks it. */
function basePathOf(container: Any): string {
  const raw = envOf(container).get("HUBBLE_LENS_BASE_PATH")?.value;
  const parsed = parseBasePath(raw);
  assert.ok(parsed.ok, `HUBBLE_LENS_BASE_PATH ${JSON.stringify(raw)}: ${parsed.ok ? "" : parsed.message}`);
  return parsed.basePath;
}

const one = (objs: Obj[], kind: string, name?: string): Any => {
  const found = objs.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  assert.equal(found.length, 1, `expected one ${kind}${name ? ` ${name}` : ""}, found ${found.length}`);
  return found[0];
};

/** The routes the app serves, from the App Router's files: app/healthz/route.ts serves /healthz. */
function servedPath(path: string): boolean {
  const dir = path.replace(/^\//, "").replace(/\/$/, "");
  return existsSync(join(ROOT, "app", dir, "route.ts")) || existsSync(join(ROOT, "app", dir, "page.tsx"));
}

/** Environment variables read by something other than server/config/env.ts, each with its reader. */
const PLATFORM_ENV: Record<string, string> = {
  HOSTNAME: "Next's standalone server.js: the address to listen on",
};

const KNOWN_ENV = new Set<string>([
  ...Object.keys(VARIABLES),
  ...Object.values(VARIABLES).flatMap((v): readonly string[] => ("aliases" in v && v.aliases ? v.aliases : [])),
  ...Object.keys(PLATFORM_ENV),
]);

const READ_VERBS = new Set(["get", "list", "watch"]);

function containerUid(): number {
  const m = /^ARG UID=(\d+)$/m.exec(readFileSync(join(ROOT, "Containerfile"), "utf8"));
  assert.ok(m, "the Containerfile declares ARG UID=<number>");
  return Number(m[1]);
}

function deployments(objs: Obj[]): Any[] {
  return objs.filter((o) => o.kind === "Deployment");
}

function envOf(container: Any): Map<string, Any> {
  return new Map((container.env ?? []).map((e: Any) => [e.name, e]));
}

/** The volume mounted at the directory holding `file`, with the mount. */
function mountFor(pod: Any, container: Any, file: string): { mount: Any; volume: Any } | undefined {
  const mount = (container.volumeMounts ?? [])
    .filter((m: Any) => file === m.mountPath || file.startsWith(`${m.mountPath.replace(/\/$/, "")}/`))
    .sort((a: Any, b: Any) => b.mountPath.length - a.mountPath.length)[0];
  if (!mount) return undefined;
  return { mount, volume: (pod.volumes ?? []).find((v: Any) => v.name === mount.name) };
}

describe("deploy/: every kustomization renders to a cluster-ready Hubble Lens", () => {
  let rendered: Map<string, Obj[]>;
  before(() => {
    rendered = renderAll();
  });

  it("renders the base, both overlays, the Ingress and the sub-path components", () => {
    assert.deepEqual(
      [...rendered.keys()],
      ["base", "relay-tls", "postgres", "base+ingress", "base+ingress+sub-path", "base+sub-path", "base+oauth2-proxy", "base+clickhouse-history", "postgres+clickhouse-history"],
    );
    for (const [name, objs] of rendered) {
      for (const kind of ["ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Deployment", "Service"]) {
        assert.ok(
          objs.some((o) => o.kind === kind),
          `${name}: no ${kind}`,
        );
      }
    }
  });

  it("probes point at endpoints the app serves, on the port the server listens on", () => {
    for (const [name, objs] of rendered) {
      for (const d of deployments(objs).filter((x) => x.metadata.name !== "hubble-lens")) {
        const c = d.spec.template.spec.containers[0];
        for (const kind of ["readinessProbe", "livenessProbe", "startupProbe"]) {
          assert.ok(servedPath(c[kind].httpGet.path), `${name}/${d.metadata.name}: ${kind} ${c[kind].httpGet.path} is not a route in app/`);
          assert.equal(c.ports.find((p: Any) => p.name === c[kind].httpGet.port)?.containerPort, Number(envOf(c).get("PORT")?.value ?? 3000));
        }
      }
      const container = one(objs, "Deployment", "hubble-lens").spec.template.spec.containers[0];
      const ports = new Map<string, number>(container.ports.map((p: Any) => [p.name, p.containerPort]));
      const listens = Number(envOf(container).get("PORT")?.value ?? 3000);
      // Under HUBBLE_LENS_BASE_PATH the app serves nothing outside the prefix, probes included.
      const basePath = basePathOf(container);
      assert.equal(container.readinessProbe?.httpGet?.path, `${basePath}/readyz`, `${name}: readiness probe`);
      assert.equal(container.livenessProbe?.httpGet?.path, `${basePath}/healthz`, `${name}: liveness probe`);
      for (const kind of ["readinessProbe", "livenessProbe", "startupProbe"]) {
        const probe = container[kind]?.httpGet;
        if (!probe) continue;
        assert.ok(probe.path.startsWith(`${basePath}/`), `${name}: ${kind} ${probe.path} is outside the base path ${basePath}`);
        assert.ok(servedPath(probe.path.slice(basePath.length)), `${name}: ${kind} ${probe.path} is not a route in app/`);
        const port = typeof probe.port === "string" ? ports.get(probe.port) : probe.port;
        assert.equal(port, listens, `${name}: ${kind} port ${probe.port} is not where the server listens (${listens})`);
      }
      const service = one(objs, "Service", "hubble-lens");
      // With a sign-in sidecar the Service reaches the server through it.
      const sidecar = one(objs, "Deployment", "hubble-lens").spec.template.spec.containers.find((c: Any) => c.name === "oauth2-proxy");
      const sidecarPorts = new Map<string, number>((sidecar?.ports ?? []).map((p: Any) => [p.name, p.containerPort]));
      for (const p of service.spec.ports) {
        if (sidecar) {
          assert.ok(sidecarPorts.has(p.targetPort), `${name}: the Service's targetPort ${p.targetPort} is not the sign-in proxy's`);
          assert.ok(sidecar.args.includes(`--upstream=http://127.0.0.1:${listens}/`), `${name}: the proxy's upstream is not the server on loopback`);
          continue;
        }
        const target = typeof p.targetPort === "string" ? ports.get(p.targetPort) : p.targetPort;
        assert.equal(target, listens, `${name}: the Service's targetPort ${p.targetPort} misses the server`);
      }
      const podLabels = one(objs, "Deployment", "hubble-lens").spec.template.metadata.labels;
      for (const [k, v] of Object.entries(service.spec.selector)) assert.equal(podLabels[k], v, `${name}: Service selector ${k}`);
    }
  });

  it("runs as the image's non-root user, read-only root, no privilege, RuntimeDefault seccomp", () => {
    const uid = containerUid();
    assert.notEqual(uid, 0);
    for (const [name, objs] of rendered) {
      for (const c of deployments(objs).flatMap((d) => d.spec.template.spec.containers.map((x: Any) => ({ ...x, pod: d.spec.template.spec })))) {
        const pod = c.pod;
        const sc = { ...pod.securityContext, ...c.securityContext };
        assert.equal(sc.runAsNonRoot, true, `${name}/${c.name}: runAsNonRoot`);
        assert.equal(sc.runAsUser, uid, `${name}/${c.name}: runAsUser is the Containerfile's UID`);
        assert.equal(c.securityContext?.readOnlyRootFilesystem, true, `${name}/${c.name}: readOnlyRootFilesystem`);
        assert.equal(c.securityContext?.allowPrivilegeEscalation, false, `${name}/${c.name}: allowPrivilegeEscalation`);
        assert.deepEqual(c.securityContext?.capabilities?.drop, ["ALL"], `${name}/${c.name}: capabilities`);
        assert.equal(c.securityContext?.capabilities?.add, undefined, `${name}/${c.name}: adds no capability`);
        assert.equal(sc.seccompProfile?.type, "RuntimeDefault", `${name}/${c.name}: seccomp`);
        assert.equal(c.securityContext?.privileged ?? false, false);
        assert.ok(c.resources?.requests?.memory && c.resources?.limits?.memory, `${name}/${c.name}: memory request and limit`);
        // A read-only root needs writable volumes where the server writes.
        if (c.name !== "hubble-lens") continue;
        const env = envOf(c);
        const writable = ["/tmp", ...(env.has("DATABASE_URL") ? [] : [env.get("HUBBLE_LENS_DATA_DIR")?.value ?? "/data"])];
        for (const dir of writable) {
          const m = mountFor(pod, c, dir);
          assert.ok(m?.volume, `${name}/${c.name}: nothing writable mounted at ${dir}`);
          assert.notEqual(m.mount.readOnly, true, `${name}/${c.name}: ${dir} is mounted read-only`);
          assert.ok(m.volume.emptyDir || m.volume.persistentVolumeClaim, `${name}/${c.name}: ${dir} is not an emptyDir or a PVC`);
        }
      }
    }
  });

  it("RBAC only reads (get, list, watch), and binds the Deployment's own ServiceAccount", () => {
    for (const [name, objs] of rendered) {
      const roles = objs.filter((o) => o.kind === "ClusterRole" || o.kind === "Role") as Any[];
      assert.ok(roles.length > 0, `${name}: no role`);
      for (const role of roles) {
        for (const rule of role.rules ?? []) {
          for (const verb of rule.verbs) assert.ok(READ_VERBS.has(verb), `${name}: ${role.metadata.name} grants "${verb}" on ${rule.resources}`);
          assert.ok(!(rule.resources ?? []).includes("*") && !(rule.resources ?? []).includes("secrets"), `${name}: ${role.metadata.name} reads ${rule.resources}`);
        }
      }
      const sa = one(objs, "Deployment", "hubble-lens").spec.template.spec.serviceAccountName;
      const deploymentNs = one(objs, "Deployment", "hubble-lens").metadata.namespace;
      one(objs, "ServiceAccount", sa);
      const bindings = objs.filter((o) => o.kind === "ClusterRoleBinding" || o.kind === "RoleBinding") as Any[];
      for (const b of bindings) {
        assert.ok(
          roles.some((r) => r.metadata.name === b.roleRef.name),
          `${name}: ${b.metadata.name} binds a role not in deploy/`,
        );
        assert.ok(
          b.subjects.some((s: Any) => s.kind === "ServiceAccount" && s.name === sa && s.namespace === deploymentNs),
          `${name}: ${b.metadata.name} does not bind ${deploymentNs}/${sa}`,
        );
      }
    }
  });

  it("every environment variable is one the server knows", () => {
    for (const [name, objs] of rendered) {
      for (const d of deployments(objs)) {
        const c = d.spec.template.spec.containers.find((x: Any) => x.name === "hubble-lens");
        for (const e of c.env ?? []) assert.ok(KNOWN_ENV.has(e.name), `${name}/${d.metadata.name}: ${e.name} is not a setting of server/config/env.ts`);
      }
    }
  });

  for (const name of ["base+clickhouse-history", "postgres+clickhouse-history"]) {
    it(`${name}: one recorder writes the ClickHouse history, every dashboard replica reads it, the URL from a secret`, () => {
      const objs = rendered.get(name)!;
      const modes = deployments(objs).map((d) => {
        const env = envOf(d.spec.template.spec.containers.find((c: Any) => c.name === "hubble-lens"));
        const url = env.get("HUBBLE_LENS_CLICKHOUSE_URL");
        assert.deepEqual(url?.valueFrom?.secretKeyRef, { name: "hubble-lens-clickhouse", key: "url" }, `${d.metadata.name}: the URL (with its password) comes from the secret`);
        assert.equal(url.value, undefined);
        return { d, mode: env.get("HUBBLE_LENS_HISTORY")?.value ?? "record" };
      });
      const recorders = modes.filter((m) => m.mode === "record");
      assert.equal(recorders.length, 1, "exactly one Deployment records");
      const recorder = recorders[0].d;
      assert.equal(recorder.spec.replicas, 1, "one recorder pod: two would each write every flow");
      assert.equal(recorder.spec.strategy?.type, "Recreate", "never two recorders during a rollout");
      assert.equal(recorder.metadata.namespace, one(objs, "Deployment", "hubble-lens").metadata.namespace);
      for (const m of modes.filter((x) => x.d !== recorder)) assert.equal(m.mode, "read", `${m.d.metadata.name} reads`);
      // The dashboard's Service reaches the readers, never the recorder; no pod may reach the recorder.
      const service = one(objs, "Service", "hubble-lens");
      const labels = recorder.spec.template.metadata.labels;
      assert.ok(
        Object.entries(service.spec.selector).some(([k, v]) => labels[k] !== v),
        "the Service does not select the recorder",
      );
      const policy = one(objs, "NetworkPolicy", "hubble-lens-recorder");
      for (const [k, v] of Object.entries(policy.spec.podSelector.matchLabels)) assert.equal(labels[k], v, `the NetworkPolicy selects the recorder (${k})`);
      assert.deepEqual(policy.spec.ingress, []);
      assert.equal(one(objs, "Deployment", "hubble-lens").spec.replicas, name.startsWith("postgres") ? 2 : 1);
      if (name.startsWith("postgres")) assert.ok(!objs.some((o) => o.kind === "PersistentVolumeClaim"));
    });
  }

  it("relay-tls: mutual TLS to Relay's TLS port with certificate files from the mounted secret", () => {
    const objs = rendered.get("relay-tls")!;
    const pod = one(objs, "Deployment", "hubble-lens").spec.template.spec;
    const c = pod.containers[0];
    const env = envOf(c);
    assert.match(env.get("HUBBLE_RELAY_ADDR").value, /^hubble-relay\.[a-z0-9-]+\.svc(\.cluster\.local)?:443$/);
    // Relay's certificate is for *.hubble-relay.cilium.io: one label in front of it.
    assert.match(env.get("HUBBLE_TLS_SERVER_NAME").value, /^[a-z0-9-]+\.hubble-relay\.cilium\.io$/);
    const expected = { HUBBLE_TLS_CA_CERT_FILES: "ca.crt", HUBBLE_TLS_CLIENT_CERT_FILE: "tls.crt", HUBBLE_TLS_CLIENT_KEY_FILE: "tls.key" };
    for (const [variable, key] of Object.entries(expected)) {
      const file: string = env.get(variable).value;
      const m = mountFor(pod, c, file);
      assert.ok(m?.volume, `${variable}=${file} is not on a mounted volume`);
      assert.equal(m.mount.readOnly, true, `${variable}: the certificate volume is mounted read-only`);
      const inVolume = file.slice(m.mount.mountPath.replace(/\/$/, "").length + 1);
      const secrets = [...(m.volume.secret ? [m.volume.secret] : []), ...(m.volume.projected?.sources ?? []).map((s: Any) => s.secret).filter(Boolean)];
      const item = secrets.flatMap((s: Any) => (s.items ?? []).map((i: Any) => ({ ...i, secret: s.secretName ?? s.name }))).find((i: Any) => i.path === inVolume);
      assert.ok(item, `${variable}: ${inVolume} is not an item of a mounted secret`);
      assert.equal(item.key, key, `${variable}: ${inVolume} comes from key ${item.key} of ${item.secret}, not ${key}`);
      assert.equal(item.secret, "hubble-lens-client-certs");
    }
    // The pod's group may read the key; nobody else.
    const mode = pod.volumes.find((v: Any) => v.name === mountFor(pod, c, env.get("HUBBLE_TLS_CLIENT_KEY_FILE").value)!.mount.name).projected.defaultMode;
    assert.equal(mode & 0o007, 0, "the client key is not world-readable");
    assert.ok(pod.securityContext.fsGroup !== undefined && (mode & 0o040) !== 0, "the pod's fsGroup can read the key");
  });

  it("postgres: several replicas sharing a database from a secret, no ReadWriteOnce volume", () => {
    const objs = rendered.get("postgres")!;
    const deployment = one(objs, "Deployment", "hubble-lens");
    assert.ok(deployment.spec.replicas > 1, `replicas: ${deployment.spec.replicas}`);
    assert.notEqual(deployment.spec.strategy?.type, "Recreate");
    const env = envOf(deployment.spec.template.spec.containers[0]);
    const url = env.get("DATABASE_URL");
    assert.ok(url?.valueFrom?.secretKeyRef?.name && url.valueFrom.secretKeyRef.key, "DATABASE_URL comes from a secret");
    assert.equal(url.value, undefined, "no password in the manifest");
    assert.ok(!objs.some((o) => o.kind === "PersistentVolumeClaim"), "no PVC: a ReadWriteOnce volume cannot be shared by replicas");
    assert.ok(!deployment.spec.template.spec.volumes.some((v: Any) => v.persistentVolumeClaim));
    const pdb = one(objs, "PodDisruptionBudget");
    for (const [k, v] of Object.entries(pdb.spec.selector.matchLabels)) assert.equal(deployment.spec.template.metadata.labels[k], v);
  });

  it("sign-in: the base opts out explicitly; with the oauth2-proxy component, proxy sign-in from loopback only", () => {
    for (const [name, objs] of rendered) {
      const env = envOf(one(objs, "Deployment", "hubble-lens").spec.template.spec.containers.find((c: Any) => c.name === "hubble-lens"));
      assert.equal(env.get("HUBBLE_LENS_HOST")?.value, "0.0.0.0", `${name}: listens where the probes and the Service reach it`);
      const auth = env.get("HUBBLE_LENS_AUTH")?.value ?? "none";
      if (auth === "none") assert.equal(env.get("HUBBLE_LENS_ALLOW_UNAUTHENTICATED")?.value, "true", `${name}: no sign-in must be an explicit choice`);
    }
    const pod = one(rendered.get("base+oauth2-proxy")!, "Deployment", "hubble-lens").spec.template.spec;
    const env = envOf(pod.containers.find((c: Any) => c.name === "hubble-lens"));
    assert.equal(env.get("HUBBLE_LENS_AUTH")?.value, "proxy");
    assert.equal(env.has("HUBBLE_LENS_ALLOW_UNAUTHENTICATED"), false);
    assert.equal(env.has("HUBBLE_LENS_TRUSTED_PROXIES"), false, "the default, loopback: the sidecar only");
    const proxy = pod.containers.find((c: Any) => c.name === "oauth2-proxy");
    assert.ok(proxy.args.includes("--pass-user-headers=true"));
    for (const e of proxy.env) assert.ok(e.valueFrom?.secretKeyRef, `${e.name} comes from a secret`);
  });

  for (const name of ["base+ingress", "base+ingress+sub-path"]) {
    it(`${name}: the Ingress routes the app's path to the Service's port, unbuffered for Server-Sent Events`, () => {
      const objs = rendered.get(name)!;
      const ingress = one(objs, "Ingress");
      const service = one(objs, "Service", "hubble-lens");
      const basePath = basePathOf(one(objs, "Deployment", "hubble-lens").spec.template.spec.containers[0]);
      if (name.endsWith("sub-path")) assert.equal(basePath, "/hubble-lens");
      for (const rule of ingress.spec.rules) {
        for (const p of rule.http.paths) {
          assert.equal(p.backend.service.name, service.metadata.name);
          assert.ok(service.spec.ports.some((sp: Any) => sp.name === p.backend.service.port.name || sp.port === p.backend.service.port.number));
          // The app serves exactly its base path; a Prefix rule for it (the root: everything).
          assert.equal(p.path, basePath || "/", `${name}: the Ingress path`);
          assert.equal(p.pathType, "Prefix");
        }
      }
      assert.equal(ingress.metadata.annotations["nginx.ingress.kubernetes.io/proxy-buffering"], "off");
      // An investigation may be 160 MB (the server's cap); ingress-nginx's default is 1 MB.
      assert.equal(ingress.metadata.annotations["nginx.ingress.kubernetes.io/proxy-body-size"], "160m");
    });
  }
});
