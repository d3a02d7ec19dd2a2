// Policy objects from what users have: multi-document YAML as `kubectl apply -f` takes it
// (including `kind: List` and JSON), or objects as the Kubernetes API returns them.
// Nothing here throws on bad input: a document that cannot be used becomes a PolicyProblem that
// names the file + document and what is wrong, and the other documents still count.

import { parseAllDocuments, stringify } from "yaml";
import { isClusterScoped, POLICY_KINDS, type PolicyKind, type PolicyObject, type PolicyProblem, type WorkloadPorts } from "./types";
import { workloadPortsFromObject } from "./workloads";

/** The message prefix of documents that were fine but are not network policies (Deployments…). */
export const SKIPPED_NOT_A_POLICY = "skipped: not a network policy";

export interface ParsedDocuments {
  policies: PolicyObject[];
  namespaces: Record<string, Record<string, string>>;
  /** Workloads (Deployments, Pods, …) whose containers name ports, for named-port rules. */
  workloads: WorkloadPorts[];
  problems: PolicyProblem[];
}

export interface ParsedObject {
  policy?: PolicyObject;
  namespace?: { name: string; labels: Record<string, string> };
  workload?: WorkloadPorts;
  problem?: PolicyProblem;
}

const MAX_TEXT = 200;

function clip(s: string): string {
  return s.length > MAX_TEXT ? `${s.slice(0, MAX_TEXT)}…` : s;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Every document of a `kubectl apply -f` file; `origin` names the file in problems. */
export function parsePolicyDocuments(text: string, origin: string): ParsedDocuments {
  const out: ParsedDocuments = { policies: [], namespaces: {}, workloads: [], problems: [] };
  let docs;
  try {
    docs = parseAllDocuments(typeof text === "string" ? text : "", { prettyErrors: true, uniqueKeys: true });
  } catch (e) {
    out.problems.push({ where: origin, message: `not YAML: ${clip(String(e))}` });
    return out;
  }
  // An EmptyStream (text with only comments) is not an array.
  if (!Array.isArray(docs)) return out;
  docs.forEach((doc, i) => {
    const where = `${origin} document ${i + 1}`;
    if (doc.errors.length > 0) {
      const first = doc.errors[0]!;
      const line = first.linePos?.[0]?.line;
      const msg = first.message.split("\n")[0] ?? "syntax error";
      out.problems.push({ where, message: `YAML syntax error${line ? ` at line ${line}` : ""}: ${clip(msg)}` });
      return;
    }
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 100 });
    } catch (e) {
      out.problems.push({ where, message: `cannot read the document: ${clip(String(e))}` });
      return;
    }
    if (value === null || value === undefined) return; // an empty document, as kubectl ignores it
    const docText = documentText(text, doc.range);
    // `kind: List` (kubectl get -o yaml), typed lists from the API (CiliumNetworkPolicyList), or a bare JSON array.
    const items = Array.isArray(value)
      ? value
      : isObject(value) && typeof value.kind === "string" && value.kind.endsWith("List") && Array.isArray(value.items)
        ? value.items
        : undefined;
    if (items) {
      items.forEach((item, k) => add(out, policyFromObject(item, `${where} item ${k + 1}`)));
      return;
    }
    add(out, policyFromObject(value, where, docText));
  });
  return out;
}

function add(out: ParsedDocuments, r: ParsedObject): void {
  if (r.policy) out.policies.push(r.policy);
  if (r.namespace) out.namespaces[r.namespace.name] = r.namespace.labels;
  if (r.workload) out.workloads.push(r.workload);
  if (r.problem) out.problems.push(r.problem);
}

/** The document's own text without its `---` marker line, so line numbers start at its first line. */
function documentText(text: string, range: readonly number[]): string {
  const slice = text.slice(range[0], range[2]);
  return slice.replace(/^---[^\n]*\n/, "").replace(/\n+$/, "\n");
}

/**
 * One object as the Kubernetes API (or a parsed document) gives it: a policy, a namespace's
 * labels, or a problem. `yamlText` is the source document when there is one.
 */
export function policyFromObject(obj: unknown, origin: string, yamlText?: string): ParsedObject {
  if (!isObject(obj)) return { problem: { where: origin, message: "not an object (expected a Kubernetes object with apiVersion, kind, metadata)" } };
  const kind = typeof obj.kind === "string" ? obj.kind : undefined;
  const metadata = isObject(obj.metadata) ? obj.metadata : undefined;
  const name = typeof metadata?.name === "string" && metadata.name !== "" ? metadata.name : undefined;
  if (kind === undefined) return { problem: { where: origin, message: "has no kind" } };
  if (kind === "Namespace") {
    if (!name) return { problem: { where: origin, message: "Namespace has no metadata.name" } };
    return { namespace: { name, labels: { ...stringLabels(metadata?.labels), "kubernetes.io/metadata.name": name } } };
  }
  if (!(POLICY_KINDS as readonly string[]).includes(kind)) {
    const workload = name ? workloadPortsFromObject(obj, kind, name) : undefined;
    if (workload) return { workload };
    return { problem: { where: origin, message: `${SKIPPED_NOT_A_POLICY} (kind ${clip(kind)})` } };
  }
  const policyKind = kind as PolicyKind;
  const where = name ? `${origin} (${kind} ${name})` : origin;
  if (!name) return { problem: { where, message: `${kind} has no metadata.name` } };
  const shape = specProblem(policyKind, obj);
  if (shape) return { problem: { where, message: shape } };
  const namespace = isClusterScoped(policyKind) ? "" : typeof metadata?.namespace === "string" && metadata.namespace !== "" ? metadata.namespace : "default";
  const uid = typeof metadata?.uid === "string" ? metadata.uid : undefined;
  const resourceVersion = typeof metadata?.resourceVersion === "string" ? metadata.resourceVersion : undefined;
  const policy: PolicyObject = {
    kind: policyKind,
    namespace,
    name,
    origin,
    object: obj,
    yaml: yamlText ?? renderYaml(obj),
    ...(uid !== undefined ? { uid } : {}),
    ...(resourceVersion !== undefined ? { resourceVersion } : {}),
  };
  return { policy };
}

function stringLabels(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!isObject(v)) return out;
  for (const [k, val] of Object.entries(v)) if (typeof val === "string") out[k] = val;
  return out;
}

const RULE_SECTIONS = ["ingress", "ingressDeny", "egress", "egressDeny"] as const;

/** What is wrong with the spec's shape, or undefined. Rule-level mistakes are compile problems. */
function specProblem(kind: PolicyKind, obj: Record<string, unknown>): string | undefined {
  if (kind === "CiliumCIDRGroup") {
    if (!isObject(obj.spec)) return "CiliumCIDRGroup needs a spec object";
    const cidrs = obj.spec.externalCIDRs;
    if (cidrs !== undefined && cidrs !== null && (!Array.isArray(cidrs) || cidrs.some((c) => typeof c !== "string"))) return "spec.externalCIDRs must be a list of CIDRs";
    return undefined;
  }
  if (kind === "NetworkPolicy") {
    if (!isObject(obj.spec)) return "NetworkPolicy needs a spec object";
    const spec = obj.spec;
    if (spec.podSelector !== undefined && spec.podSelector !== null && !isObject(spec.podSelector)) return "spec.podSelector must be a label selector object";
    for (const k of ["ingress", "egress", "policyTypes"]) {
      if (spec[k] !== undefined && spec[k] !== null && !Array.isArray(spec[k])) return `spec.${k} must be a list`;
    }
    return undefined;
  }
  const specs: { path: string; value: unknown }[] = [];
  if (obj.spec !== undefined && obj.spec !== null) specs.push({ path: "spec", value: obj.spec });
  if (obj.specs !== undefined && obj.specs !== null) {
    if (!Array.isArray(obj.specs)) return "specs must be a list of rules";
    obj.specs.forEach((s, i) => specs.push({ path: `specs[${i}]`, value: s }));
  }
  if (specs.length === 0) return `${kind} needs a spec (or specs)`;
  for (const { path, value } of specs) {
    if (!isObject(value)) return `${path} must be an object`;
    const hasSubject = isObject(value.endpointSelector) || isObject(value.nodeSelector);
    if (!hasSubject) return `${path} needs an endpointSelector or a nodeSelector`;
    for (const k of RULE_SECTIONS) {
      if (value[k] !== undefined && value[k] !== null && !Array.isArray(value[k])) return `${path}.${k} must be a list`;
    }
  }
  return undefined;
}

/** YAML for display, without the API server's bookkeeping. */
function renderYaml(obj: Record<string, unknown>): string {
  const copy: Record<string, unknown> = { ...obj };
  delete copy.status;
  if (isObject(copy.metadata)) {
    const md: Record<string, unknown> = { ...copy.metadata };
    for (const k of ["managedFields", "creationTimestamp", "generation", "selfLink"]) delete md[k];
    if (isObject(md.annotations)) {
      const ann = { ...md.annotations };
      delete ann["kubectl.kubernetes.io/last-applied-configuration"];
      if (Object.keys(ann).length === 0) delete md.annotations;
      else md.annotations = ann;
    }
    copy.metadata = md;
  }
  try {
    return stringify(copy, { lineWidth: 0 });
  } catch {
    return "";
  }
}
