import "server-only";

// What went wrong talking to the API server, in words that say what to fix. The client library
// reports HTTP statuses as ApiException (list) or Error with statusCode (watch), and network
// failures as node-fetch FetchErrors with a system error code.

export interface WatchedResource {
  /** "ciliumnetworkpolicies.cilium.io", or "namespaces" for the core group, as RBAC names it. */
  readonly resource: string;
  /** API group; "" for the core group. */
  readonly group: string;
  readonly version: string;
  readonly plural: string;
  /** The kind of its objects (list items of built-in types come without kind). */
  readonly kind: string;
}

export type FailureKind = "forbidden" | "unauthorized" | "absent" | "unreachable" | "expired" | "other";

export interface ClassifiedFailure {
  readonly kind: FailureKind;
  readonly message: string;
}

const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EPIPE",
  "CERT_HAS_EXPIRED",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);

/** The HTTP status of a failed list or watch, if it got that far. */
export function statusOf(err: unknown): number | undefined {
  if (typeof err !== "object" || err === null) return undefined;
  const e = err as { code?: unknown; statusCode?: unknown };
  if (typeof e.statusCode === "number") return e.statusCode;
  if (typeof e.code === "number") return e.code;
  return undefined;
}

/** The API server's own words (a Status object's message), clipped. */
function serverMessage(err: unknown): string | undefined {
  const body = (err as { body?: unknown }).body;
  let parsed: unknown = body;
  if (typeof body === "string") {
    try {
      parsed = JSON.parse(body);
    } catch {
      return body.slice(0, 300) || undefined;
    }
  }
  const m = (parsed as { message?: unknown } | undefined)?.message;
  return typeof m === "string" ? m.slice(0, 300) : undefined;
}

function systemCode(err: unknown): string | undefined {
  let e: unknown = err;
  for (let depth = 0; depth < 4 && typeof e === "object" && e !== null; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string") return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Classifies a failed `verb` ("list" or "watch") on `r` against the API server at `server`. */
export function classifyFailure(err: unknown, verb: "list" | "watch", r: WatchedResource, server: string): ClassifiedFailure {
  const status = statusOf(err);
  const said = serverMessage(err);
  const group = r.group === "" ? `"" (core)` : r.group;
  if (status === 403) {
    return {
      kind: "forbidden",
      message:
        `forbidden to ${verb} ${r.resource}: the ClusterRole of Hubble Lens needs verbs [list, watch] on resource ` +
        `${r.plural} in apiGroup ${group} (docs/kubernetes/clusterrole.yaml)${said ? `; the API server said: ${said}` : ""}`,
    };
  }
  if (status === 401) {
    return { kind: "unauthorized", message: `the API server at ${server} rejected the credentials (401 Unauthorized): check the kubeconfig's user or the service account token` };
  }
  if (status === 404) {
    return r.group === "cilium.io"
      ? { kind: "absent", message: `the ${r.resource} CRD is not installed (is Cilium installed in this cluster?); ${r.kind} objects are left out` }
      : { kind: "absent", message: `${r.resource} is not served by the API server${said ? `: ${said}` : ""}` };
  }
  if (status === 410) return { kind: "expired", message: `the ${verb} of ${r.resource} expired (410 Gone); listing again` };
  if (status !== undefined) {
    return { kind: "other", message: `${verb} ${r.resource} failed with HTTP ${status}${said ? `: ${said}` : ""}` };
  }
  const code = systemCode(err);
  const text = err instanceof Error ? err.message : String(err);
  if ((code !== undefined && NETWORK_CODES.has(code)) || /fetch|socket|connect|timed out|aborted/i.test(text)) {
    return { kind: "unreachable", message: `Kubernetes API unreachable at ${server}: ${code ?? text.slice(0, 200)}` };
  }
  return { kind: "other", message: `${verb} ${r.resource} failed: ${text.slice(0, 300)}` };
}
