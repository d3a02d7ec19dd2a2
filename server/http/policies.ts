import "server-only";

import type { PoliciesResponse } from "@/lib/policy/types";
import { createHash } from "node:crypto";
import type { PolicyService, SourceKind, SourceStatus } from "@/server/policies";
import { rfc3339ToMs } from "@/server/policies/flow-input";
import { policyKeyVisible } from "@/lib/access/policies";
import { ALL_NAMESPACES, type NamespaceAccess } from "@/lib/access/scope";
import { policyKey } from "@/lib/policy/types";
import { ScopedPolicies } from "@/server/auth/scoped-policies";
import { apiError } from "./api-error";

// GET /api/policies[?at=<RFC 3339>]: the policy set the browser compiles to explain the flows it
// shows (table, drops view, map), the version history to lay changes against drops, and what
// could not be used. One object, no paging: policy sets are small next to the flows.

/** The response as this route builds it: a `PoliciesResponse` from one of the server's sources. */
export type PoliciesResponseBody = PoliciesResponse & { readonly source: SourceKind; readonly status: SourceStatus };

const defaultScoped = new ScopedPolicies();

/**
 * With namespace-scoped access, only the policies the person may read (lib/access/policies.ts), the
 * history's changes to those, and no problems (their text may name any namespace's objects).
 */
export function policiesResponse(request: Request, policies: PolicyService, access: NamespaceAccess = ALL_NAMESPACES, scoped = defaultScoped): Response {
  const atRaw = new URL(request.url).searchParams.get("at");
  let atMs: number | undefined;
  if (atRaw !== null) {
    atMs = rfc3339ToMs(atRaw);
    if (atMs === undefined) {
      return apiError("invalid-query", `at must be an RFC 3339 time such as 2026-01-01T10:00:00Z (got ${JSON.stringify(atRaw.slice(0, 80))})`, {
        about: { param: "at", value: atRaw.slice(0, 80) },
      });
    }
  }
  const snapshot = scoped.snapshot(atMs === undefined ? policies.current() : policies.at(atMs), access);
  const visibleKeys = new Set(snapshot.policies.map(policyKey));
  const visible = (keys: readonly string[]) => (access.all ? keys : keys.filter((k) => policyKeyVisible(k, access, visibleKeys)));
  const body: PoliciesResponseBody = {
    source: policies.sourceKind,
    status: policies.status(),
    version: snapshot.version,
    since: snapshot.since,
    policies: snapshot.policies,
    namespaceLabels: snapshot.namespaceLabels,
    settings: snapshot.settings,
    // The browser's explainer resolves named ports with them, as POST /api/explain does.
    workloadPorts: snapshot.workloadPorts ?? [],
    problems: access.all ? policies.problems(atMs) : [],
    history: policies.history().map((c) => ({ version: c.version, since: c.since, added: visible(c.added), changed: visible(c.changed), removed: visible(c.removed) })),
  };
  // Browsers poll this; the set rarely changes, so an unchanged answer is a 304 without a body.
  const text = JSON.stringify(body);
  const etag = `"${createHash("sha1").update(text).digest("base64url")}"`;
  const headers = { "Cache-Control": "no-cache", ETag: etag };
  if (ifNoneMatch(request).includes(etag)) return new Response(null, { status: 304, headers });
  return new Response(text, { headers: { ...headers, "Content-Type": "application/json" } });
}

function ifNoneMatch(request: Request): string[] {
  return (request.headers.get("if-none-match") ?? "").split(",").map((t) => t.trim().replace(/^W\//, ""));
}
