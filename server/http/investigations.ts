import "server-only";
import type { JsonObject } from "@bufbuild/protobuf";
import { z } from "zod";
import { type CreateInvestigationResponse, INVESTIGATION_FLOWS_TYPE, type InvestigationListResponse } from "@/lib/api/investigations";
import { flowVisible, type NamespaceAccess } from "@/lib/access/scope";
import { withBasePath } from "@/lib/base-path";
import { toJsonpbLine } from "@/lib/export/jsonpb";
import { boundFlowJson } from "@/lib/flow-model";
import { ANONYMOUS_VIEWER, investigationForViewer, investigationVisible, openInvestigation, type InvestigationViewer } from "@/server/investigations/access";
import { isInvestigationId } from "@/server/investigations/ids";
import { type InvestigationHistory, planReference, referencedFlowLines } from "@/server/investigations/referenced";
import {
  InvestigationInputError,
  MAX_FLOWS,
  MAX_NAMESPACE_PAIRS,
  MAX_NOTE,
  MAX_SELECTED_FLOW,
  MAX_TITLE,
  MAX_VIEW_BYTES,
  type InvestigationStore,
  type InvestigationSummary,
  type NamespacePair,
} from "@/server/investigations/store";
import { log } from "@/server/log";
import type { PolicySnapshot } from "@/server/policies";
import { apiError } from "./api-error";
import { type BodyResult, type BodyRules, bodyTextChunks, MAX_JSON_DEPTH, parseJsonBounded, requireJson } from "./body";
import { ObjectStreamError, ObjectStreamSplitter } from "./json-stream";

// The bodies of the /api/investigations route handlers, kept out of app/ so tests call them with
// real Request objects. Errors are the common form (api-error.ts, codes in lib/api/errors.ts);
// store and database messages are logged, never sent. Who may open one is
// server/investigations/access.ts, shared with the /investigations/<id> page.

export { ANONYMOUS_VIEWER, type InvestigationViewer };

/**
 * 50,000 real flows are ~95 MB of JSON; the body is streamed and each flow bounded as it arrives,
 * so this cap only has to stop an endless upload.
 */
export const MAX_BODY_BYTES = 160 * 1024 * 1024;
/** One flow's JSON text. Real flows are 1–5 KB; boundFlowJson caps texts and lists anyway. */
export const MAX_FLOW_CHARS = 256 * 1024;
/** Title, note, view and selectedFlow are far smaller (see store.ts); this only bounds the read. */
const MAX_MEMBER_CHARS = 64 * 1024;
/** Saves in progress at once: each may hold up to ~100 MB of flows until it is written. */
export const MAX_CONCURRENT_SAVES = 2;
/** Parse this long, then let timers and other requests (SSE streams) run. */
const SLICE_MS = 8;
const FLOW_LINES_PER_CHUNK = 1_000;

const BODY_RULES: BodyRules = {
  maxBytes: MAX_BODY_BYTES,
  invalidCode: "invalid-investigation",
  what: "an investigation ({title, note, view, selectedFlow, flows})",
};

export interface InvestigationApi {
  readonly store: InvestigationStore;
  /** The policy set in force now (runtime.policies.current). */
  readonly policies: () => PolicySnapshot;
  /** The flow history (runtime.history), when on: saves refer to its flows when it covers the window. */
  readonly history?: InvestigationHistory;
}

const isJsonObject = (v: unknown): v is JsonObject => typeof v === "object" && v !== null && !Array.isArray(v);

/** Everything but the flows, which are checked one by one as they stream in. */
const InvestigationFields = z.strictObject({
  title: z.string({ error: "title is required and must be a string" }).trim().min(1, "title must not be empty").max(MAX_TITLE, `title must be at most ${MAX_TITLE} characters`),
  note: z.string({ error: "note must be a string" }).max(MAX_NOTE, `note must be at most ${MAX_NOTE} characters`).default(""),
  view: z
    .string({ error: "view is required: the dashboard view as a URL query string" })
    .refine((v) => Buffer.byteLength(v, "utf8") <= MAX_VIEW_BYTES, `view must be at most ${MAX_VIEW_BYTES} bytes`),
  selectedFlow: z
    .string({ error: "selectedFlow must be a flow id or null" })
    .min(1, "selectedFlow must not be empty")
    .max(MAX_SELECTED_FLOW, `selectedFlow must be at most ${MAX_SELECTED_FLOW} characters`)
    .nullable()
    .default(null),
});

const FLOWS_REQUIRED = "flows: flows is required: an array of flow objects";

let savesInProgress = 0;

/** POST /api/investigations: saves a snapshot of the view, answers 201 { id, url }. */
export async function createInvestigationResponse(request: Request, api: InvestigationApi, viewer: InvestigationViewer = ANONYMOUS_VIEWER): Promise<Response> {
  // Only JSON: a cross-site HTML form cannot send application/json without a CORS preflight.
  const wrongType = requireJson(request, BODY_RULES);
  if (wrongType) return wrongType;
  if (savesInProgress >= MAX_CONCURRENT_SAVES) {
    await request.body?.cancel().catch(() => {});
    return apiError("busy", `${MAX_CONCURRENT_SAVES} investigations are being saved right now; try again in a few seconds`, { headers: { "Retry-After": "5" } });
  }
  savesInProgress++;
  try {
    const read = await readInvestigation(request, viewer.access);
    if (!read.ok) return read.response;
    const { fields, flows, flowNamespaces } = read.value;
    // With flow history covering the view's window, the investigation points at the stored flows
    // (all of them, not only those the browser was sent) instead of copying what the browser sent.
    const plan = await planReference(api.history, fields.view, viewer.access, new Date(), { signal: request.signal, selectedFlow: fields.selectedFlow });
    if (plan.kind === "copy" && api.history) log.info(`investigation: copying its flows: ${plan.reason}`);
    const saved = await api.store.save({
      ...fields,
      ...(plan.kind === "reference" ? { flows: [], reference: plan.reference, flowNamespaces: plan.flowNamespaces } : { flows, flowNamespaces }),
      policies: api.policies(),
      owner: viewer.user,
      // Shared with the saver's groups: their team finds it in its list.
      sharedWith: viewer.groups,
    });
    const url = withBasePath(`/investigations/${saved.id}`);
    log.audit("investigation saved", { user: viewer.user, id: saved.id, flows: saved.flowCount, flowSource: saved.flowSource, sharedWith: saved.sharedWith });
    const answer: CreateInvestigationResponse = { id: saved.id, url, flowSource: saved.flowSource, flowCount: saved.flowCount };
    return Response.json(answer, { status: 201, headers: { Location: url, "Cache-Control": "no-store" } });
  } catch (err) {
    if (err instanceof InvestigationInputError) return apiError("invalid-investigation", err.message);
    log.error(`saving an investigation failed: ${describe(err)}`);
    return apiError("internal", "the investigation could not be saved; try again");
  } finally {
    savesInProgress--;
  }
}

type ReadInvestigation = BodyResult<{ fields: z.infer<typeof InvestigationFields>; flows: string[]; flowNamespaces: NamespacePair[] }>;

/**
 * Streams the body: each flow is parsed, bounded (flows come from workloads: attacker-controlled
 * text) and turned into its jsonpb line as it arrives, so only the lines are ever held. Work is cut
 * into slices of a few ms so SSE streams and other requests keep running during a large save.
 */
async function readInvestigation(request: Request, access: NamespaceAccess): Promise<ReadInvestigation> {
  const lines: string[] = [];
  const pairs = new Map<string, NamespacePair>();
  const splitter = new ObjectStreamSplitter(
    { arrayKey: "flows", maxElementChars: MAX_FLOW_CHARS, maxMemberChars: MAX_MEMBER_CHARS, maxDepth: MAX_JSON_DEPTH - 2 },
    (text, index) => {
      if (index >= MAX_FLOWS) throw new ObjectStreamError(413, `an investigation holds at most ${MAX_FLOWS} flows (got more); narrow the time window or the filter`);
      const parsed = parseJsonBounded(text);
      if (!parsed.ok) throw new ObjectStreamError(400, `flows.${index}: ${parsed.message}`);
      const f = parsed.value;
      if (!isJsonObject(f)) throw new ObjectStreamError(400, `flows.${index}: each flow must be a JSON object (a Flow, or a jsonpb line with a flow)`);
      const flow = boundFlowJson(isJsonObject(f.flow) ? f.flow : f) as JsonObject;
      const src = namespaceOf(flow.source);
      const dst = namespaceOf(flow.destination);
      // Nobody saves (and so shares) flows they may not see themselves.
      if (!flowVisible(access, src, dst)) {
        throw new ObjectStreamError(403, `flows.${index}: you may not see flows between namespaces ${JSON.stringify(src.slice(0, 63))} and ${JSON.stringify(dst.slice(0, 63))}`);
      }
      const key = `${src}\u0000${dst}`;
      if (!pairs.has(key)) {
        if (pairs.size >= MAX_NAMESPACE_PAIRS) throw new ObjectStreamError(413, `an investigation spans at most ${MAX_NAMESPACE_PAIRS} pairs of namespaces`);
        pairs.set(key, [src, dst]);
      }
      lines.push(toJsonpbLine(flow));
    },
  );
  const chunks = bodyTextChunks(request, BODY_RULES);
  let sliceStart = performance.now();
  try {
    for (;;) {
      const step = await chunks.next();
      if (step.done) {
        if (step.value) return { ok: false, response: step.value };
        break;
      }
      splitter.push(step.value);
      if (performance.now() - sliceStart > SLICE_MS) {
        await new Promise((resolve) => setImmediate(resolve));
        sliceStart = performance.now();
      }
    }
    const members = splitter.end();
    const fields: Record<string, unknown> = {};
    for (const [key, text] of members) {
      const parsed = parseJsonBounded(text);
      if (!parsed.ok) return { ok: false, response: apiError("invalid-investigation", `${key}: ${parsed.message}`) };
      fields[key] = parsed.value;
    }
    const checked = InvestigationFields.safeParse(fields);
    if (!checked.success) {
      const issue = checked.error.issues[0];
      const where = issue.path.length > 0 ? `${issue.path.join(".")}: ` : "";
      return { ok: false, response: apiError("invalid-investigation", `${where}${issue.message}`) };
    }
    return { ok: true, value: { fields: checked.data, flows: lines, flowNamespaces: [...pairs.values()] } };
  } catch (err) {
    if (!(err instanceof ObjectStreamError)) throw err;
    const message = /^flows (must be an array|is required)/.test(err.message) ? FLOWS_REQUIRED : err.message;
    const code = err.status === 413 ? "too-large" : err.status === 403 ? "forbidden-namespace" : "invalid-investigation";
    return { ok: false, response: apiError(code, message) };
  } finally {
    await chunks.return(undefined);
  }
}

function namespaceOf(endpoint: unknown): string {
  return isJsonObject(endpoint) && typeof endpoint.namespace === "string" ? endpoint.namespace : "";
}

/** GET /api/investigations/<id>: the investigation without its flows. */
export async function investigationResponse(id: string, api: Pick<InvestigationApi, "store" | "history">, viewer: InvestigationViewer = ANONYMOUS_VIEWER): Promise<Response> {
  if (!isInvestigationId(id)) return notFound();
  try {
    const inv = await openInvestigation(api.store, id, viewer);
    return inv === undefined ? notFound() : Response.json(await investigationForViewer(inv, viewer, api.history), { headers: { "Cache-Control": "no-store" } });
  } catch (err) {
    log.error(`reading investigation failed: ${describe(err)}`, { id });
    return apiError("internal", "the investigation could not be read; try again");
  }
}

/**
 * GET /api/investigations/<id>/flows: its flows as `hubble observe -o jsonpb` lines, like
 * /api/flows/history; `?download=1` as an attachment. A copy's lines come from the investigation
 * store, a reference's are read from the flow history a block at a time as the body is read:
 * either way the download is a copy of the flows.
 */
export async function investigationFlowsResponse(
  id: string,
  api: Pick<InvestigationApi, "store" | "history">,
  viewer: InvestigationViewer = ANONYMOUS_VIEWER,
  request?: Request,
): Promise<Response> {
  if (!isInvestigationId(id)) return notFound();
  let lines: AsyncIterator<string[]> | undefined;
  try {
    const inv = await api.store.get(id);
    if (inv !== undefined && investigationVisible(inv, viewer.access)) {
      if (inv.reference) {
        if (api.history) lines = inSlices(referencedFlowLines(api.history.store, inv.reference, viewer.access, request?.signal));
        else lines = inSlices((async function* () {})());
      } else {
        const copied = await api.store.flows(id);
        if (copied) lines = copiedSlices(copied);
      }
    }
  } catch (err) {
    log.error(`reading investigation flows failed: ${describe(err)}`, { id });
    return apiError("internal", "the investigation's flows could not be read; try again");
  }
  if (lines === undefined) return notFound();
  const encoder = new TextEncoder();
  const source = lines;
  // Encoded a slice at a time: 50,000 flows never sit in memory twice as one big string.
  // The reader may go away while a slice is being read: then nothing is written and nothing is wrong.
  let cancelled = false;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const next = await source.next();
        if (cancelled) return;
        if (next.done) controller.close();
        else controller.enqueue(encoder.encode(`${next.value.join("\n")}\n`));
      } catch (err) {
        if (cancelled) return;
        log.error(`reading investigation flows failed: ${describe(err)}`, { id });
        controller.error(err);
      }
    },
    async cancel() {
      cancelled = true;
      await source.return?.();
    },
  });
  const download = request !== undefined && new URL(request.url).searchParams.get("download") === "1";
  return new Response(body, {
    headers: {
      "Content-Type": INVESTIGATION_FLOWS_TYPE,
      "Content-Disposition": `${download ? "attachment" : "inline"}; filename="investigation-${id}.jsonl"`,
      "Cache-Control": "no-store",
    },
  });
}

async function* copiedSlices(all: readonly string[]): AsyncGenerator<string[]> {
  for (let next = 0; next < all.length; next += FLOW_LINES_PER_CHUNK) yield all.slice(next, next + FLOW_LINES_PER_CHUNK);
}

async function* inSlices(lines: AsyncIterable<string>): AsyncGenerator<string[]> {
  let slice: string[] = [];
  for await (const line of lines) {
    slice.push(line);
    if (slice.length >= FLOW_LINES_PER_CHUNK) {
      yield slice;
      slice = [];
    }
  }
  if (slice.length > 0) yield slice;
}

/** Listed per request at most; the 50 newest of them the person may open are answered. */
const LIST_SCAN = 500;

/**
 * GET /api/investigations: the 50 newest of the person's own and those shared with their groups,
 * among those they may open; nobody else's id is ever listed.
 */
export async function investigationListResponse(api: Pick<InvestigationApi, "store">, viewer: InvestigationViewer = ANONYMOUS_VIEWER): Promise<Response> {
  try {
    const list = (await api.store.list(LIST_SCAN, viewer)).filter((s: InvestigationSummary) => investigationVisible(s, viewer.access)).slice(0, 50);
    const answer: InvestigationListResponse = {
      investigations: list.map((s) => ({
        id: s.id,
        title: s.title,
        createdAt: s.createdAt,
        flowCount: s.flowCount,
        owner: s.owner,
        url: withBasePath(`/investigations/${s.id}`),
      })),
    };
    return Response.json(answer, { headers: { "Cache-Control": "no-store" } });
  } catch (err) {
    log.error(`listing investigations failed: ${describe(err)}`);
    return apiError("internal", "the investigations could not be listed; try again");
  }
}

/** DELETE /api/investigations/<id>: only its owner may; 204. Others who may open it get 403, the rest 404. */
export async function deleteInvestigationResponse(id: string, api: Pick<InvestigationApi, "store">, viewer: InvestigationViewer = ANONYMOUS_VIEWER): Promise<Response> {
  if (!isInvestigationId(id)) return notFound();
  try {
    const inv = await api.store.get(id);
    if (inv === undefined || !investigationVisible(inv, viewer.access)) return notFound();
    if (inv.owner !== viewer.user) {
      log.audit("investigation delete refused", { user: viewer.user, id, owner: inv.owner });
      return apiError("not-owner", "only the one who saved an investigation may delete it");
    }
    await api.store.delete(id);
    log.audit("investigation deleted", { user: viewer.user, id });
    return new Response(null, { status: 204, headers: { "Cache-Control": "no-store" } });
  } catch (err) {
    log.error(`deleting investigation failed: ${describe(err)}`, { id });
    return apiError("internal", "the investigation could not be deleted; try again");
  }
}

function notFound(): Response {
  return apiError("not-found", "no such investigation: the link may be mistyped");
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
