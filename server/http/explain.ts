import "server-only";

import { z } from "zod";
import { explainFlow, ExplainInputError, parseSettingsObject } from "@/lib/policy";
import { unwrapFlow } from "@/lib/policy/flow";
import type { PolicyService, PolicySnapshot } from "@/server/policies";
import { CompiledPolicyCache } from "@/server/policies/compiled-cache";
import { flowTimeMs, notAFlowReason } from "@/server/policies/flow-input";
import { POLICY_SINCE_HEADER, POLICY_VERSION_HEADER } from "@/lib/api/policies";
import { apiError } from "./api-error";
import { ALL_NAMESPACES, flowVisible, type NamespaceAccess } from "@/lib/access/scope";
import { ScopedPolicies } from "@/server/auth/scoped-policies";
import { type BodyRules, readJsonBody } from "./body";

// POST /api/explain: "would this flow be allowed?" for the dashboard and for scripts. The answer
// is exactly the Explanation the CLI prints; which policy version it used is in the headers.
// Input is hostile: the body is size-capped while it is read, and every error is a 4xx with a
// message that says what to send instead (never a stack).

export const MAX_EXPLAIN_BODY_BYTES = 1024 * 1024;

const defaultScoped = new ScopedPolicies();

function endpointNamespace(endpoint: unknown): string {
  return typeof endpoint === "object" && endpoint !== null && typeof (endpoint as { namespace?: unknown }).namespace === "string"
    ? (endpoint as { namespace: string }).namespace
    : "";
}

const ExplainBody = z.looseObject({
  flow: z.unknown().optional(),
  settings: z.unknown().optional(),
  at: z.enum(["flow", "now"], { error: 'at must be "flow" (the policies in force at the flow\'s time) or "now"' }).optional(),
});

// One compiled-set cache per policy service (a test may make several services in one process).
const caches = new WeakMap<PolicyService, CompiledPolicyCache>();

function cacheFor(policies: PolicyService): CompiledPolicyCache {
  let c = caches.get(policies);
  if (!c) caches.set(policies, (c = new CompiledPolicyCache()));
  return c;
}

const BODY_RULES: BodyRules = {
  maxBytes: MAX_EXPLAIN_BODY_BYTES,
  invalidCode: "invalid-explain-request",
  what: 'one flow: {"flow": <a flow as hubble observe -o json prints it>}',
};

function problem(status: 400 | 409, message: string): Response {
  return apiError(status === 409 ? "no-policies" : "invalid-explain-request", message);
}

/**
 * With namespace-scoped access: only flows the person may see (source or destination in their
 * namespaces), explained against the policies they may read, as the browser's explainer would.
 */
export async function explainResponse(
  request: Request,
  policies: PolicyService,
  access: NamespaceAccess = ALL_NAMESPACES,
  scoped: ScopedPolicies = defaultScoped,
): Promise<Response> {
  const read = await readJsonBody(request, BODY_RULES);
  if (!read.ok) return read.response;
  const json = read.value;
  const parsed = ExplainBody.safeParse(json);
  if (!parsed.success || parsed.data.flow === undefined) {
    const issue = parsed.success ? undefined : parsed.error.issues[0];
    const detail = issue && issue.path.length > 0 ? `${issue.path.join(".")}: ${issue.message}` : 'the body must be a JSON object with a "flow"';
    return problem(400, `${detail}; send {"flow": <a flow as hubble observe -o json prints it>, "settings"?: {…}, "at"?: "flow" | "now"}`);
  }
  const body = parsed.data;
  let flow: Record<string, unknown>;
  try {
    flow = unwrapFlow(body.flow);
  } catch (err) {
    if (err instanceof ExplainInputError) return problem(400, `flow: ${err.message}`);
    throw err;
  }
  const notAFlow = notAFlowReason(flow);
  if (notAFlow) return problem(400, `flow: ${notAFlow}; send a flow as hubble observe -o json prints it`);
  if (!flowVisible(access, endpointNamespace(flow.source), endpointNamespace(flow.destination))) {
    return apiError("forbidden-namespace", "flow: neither its source nor its destination is in a namespace you may see");
  }
  // With no policy source there is nothing to explain against: answering "allowed" would be a guess.
  if (policies.sourceKind === "none") {
    return problem(
      409,
      "no policies are loaded (no policy source is configured: set HUBBLE_LENS_POLICIES or connect to the Kubernetes API), so this flow cannot be explained or compared",
    );
  }

  const at = body.at ?? "flow";
  const timeMs = at === "flow" ? flowTimeMs(body.flow) : undefined;
  const snapshot: PolicySnapshot = timeMs === undefined ? policies.current() : policies.at(timeMs);

  const settings = parseSettingsObject(body.settings, snapshot.settings);
  if (!settings.ok) return problem(400, `settings: ${settings.message}`);

  let explanation;
  try {
    const compiled = access.all ? cacheFor(policies).get(snapshot, settings.settings) : scoped.compile(snapshot, access, settings.settings);
    explanation = explainFlow(body.flow, compiled);
  } catch (err) {
    if (err instanceof ExplainInputError) return problem(400, `flow: ${err.message}`);
    throw err;
  }
  return Response.json(explanation, {
    headers: {
      "Cache-Control": "no-store",
      [POLICY_VERSION_HEADER]: String(snapshot.version),
      [POLICY_SINCE_HEADER]: snapshot.since,
    },
  });
}
