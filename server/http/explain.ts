import "server-only";

import { z } from "zod";
import { explainFlow, ExplainInputError, parseSettingsObject } from "@/lib/policy";
import type { PolicyService, PolicySnapshot } from "@/server/policies";
import { CompiledPolicyCache } from "@/server/policies/compiled-cache";
import { flowTimeMs } from "@/server/policies/flow-input";

// POST /api/explain: "would this flow be allowed?" for the dashboard and for scripts. The answer
// is exactly the Explanation the CLI prints; which policy version it used is in the headers.
// Input is hostile: the body is size-capped while it is read, and every error is a 4xx with a
// message that says what to send instead (never a stack).

export const MAX_EXPLAIN_BODY_BYTES = 1024 * 1024;

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

/** The error form every Hubble Lens route answers with: `{"error": {"code", "message"}}`. */
function problem(status: 400 | 413, message: string): Response {
  const code = status === 413 ? "too-large" : "invalid-explain-request";
  return Response.json({ error: { code, message } }, { status, headers: { "Cache-Control": "no-store" } });
}

class BodyTooLarge extends Error {}

/** The body as text, refusing it as soon as it passes `max` bytes (Content-Length may be absent or lie). */
async function readBodyCapped(request: Request, max: number): Promise<string> {
  const declared = Number(request.headers.get("content-length"));
  if (Number.isFinite(declared) && declared > max) throw new BodyTooLarge();
  if (!request.body) return "";
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel().catch(() => {});
      throw new BodyTooLarge();
    }
    chunks.push(value);
  }
  return new TextDecoder("utf-8", { fatal: false }).decode(Buffer.concat(chunks));
}

export async function explainResponse(request: Request, policies: PolicyService): Promise<Response> {
  let text: string;
  try {
    text = await readBodyCapped(request, MAX_EXPLAIN_BODY_BYTES);
  } catch (err) {
    if (err instanceof BodyTooLarge) return problem(413, `the body is over ${MAX_EXPLAIN_BODY_BYTES} bytes; send one flow`);
    return problem(400, "the body could not be read");
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return problem(400, `the body is not JSON (${(err as Error).message.slice(0, 120)}); send {"flow": <a flow as hubble observe -o json prints it>}`);
  }
  const parsed = ExplainBody.safeParse(json);
  if (!parsed.success || parsed.data.flow === undefined) {
    const issue = parsed.success ? undefined : parsed.error.issues[0];
    const detail = issue && issue.path.length > 0 ? `${issue.path.join(".")}: ${issue.message}` : 'the body must be a JSON object with a "flow"';
    return problem(400, `${detail}; send {"flow": <a flow as hubble observe -o json prints it>, "settings"?: {…}, "at"?: "flow" | "now"}`);
  }
  const body = parsed.data;

  const at = body.at ?? "flow";
  const timeMs = at === "flow" ? flowTimeMs(body.flow) : undefined;
  const snapshot: PolicySnapshot = timeMs === undefined ? policies.current() : policies.at(timeMs);

  const settings = parseSettingsObject(body.settings, snapshot.settings);
  if (!settings.ok) return problem(400, `settings: ${settings.message}`);

  let explanation;
  try {
    explanation = explainFlow(body.flow, cacheFor(policies).get(snapshot, settings.settings));
  } catch (err) {
    if (err instanceof ExplainInputError) return problem(400, `flow: ${err.message}`);
    throw err;
  }
  return Response.json(explanation, {
    headers: {
      "Cache-Control": "no-store",
      "X-Hubble-Lens-Policy-Version": String(snapshot.version),
      "X-Hubble-Lens-Policy-Since": snapshot.since,
    },
  });
}
