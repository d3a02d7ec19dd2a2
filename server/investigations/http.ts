import "server-only";
import type { JsonObject } from "@bufbuild/protobuf";
import { z } from "zod";
import { toJsonpbLine } from "@/lib/export/jsonpb";
import { boundFlowJson } from "@/lib/flow-model";
import { log } from "@/server/log";
import type { PolicySnapshot } from "@/server/policies";
import { isInvestigationId } from "./ids";
import { InvestigationInputError, MAX_FLOWS, MAX_NOTE, MAX_SELECTED_FLOW, MAX_TITLE, MAX_VIEW_BYTES, type InvestigationStore } from "./store";

// The bodies of the /api/investigations route handlers, kept out of app/ so tests call them with
// real Request objects. Errors are `{ error: { code, message } }` with a closed set of codes;
// store and database messages are logged, never sent.

/** 50,000 bounded flows as JSON stay well under this; anything bigger is refused while reading. */
export const MAX_BODY_BYTES = 150 * 1024 * 1024;
const FLOW_LINES_PER_CHUNK = 1_000;

export type InvestigationErrorCode = "invalid-investigation" | "unsupported-media-type" | "too-large" | "not-found" | "internal";
const STATUS: Record<InvestigationErrorCode, number> = {
  "invalid-investigation": 400,
  "unsupported-media-type": 415,
  "too-large": 413,
  "not-found": 404,
  internal: 500,
};

function apiError(code: InvestigationErrorCode, message: string): Response {
  return Response.json({ error: { code, message } }, { status: STATUS[code], headers: { "Cache-Control": "no-store" } });
}

export interface InvestigationApi {
  readonly store: InvestigationStore;
  /** The policy set in force now (runtime.policies.current). */
  readonly policies: () => PolicySnapshot;
}

const isJsonObject = (v: unknown): v is JsonObject => typeof v === "object" && v !== null && !Array.isArray(v);

const NewInvestigationBody = z.strictObject({
  title: z
    .string({ error: "title is required and must be a string" })
    .trim()
    .min(1, "title must not be empty")
    .max(MAX_TITLE, `title must be at most ${MAX_TITLE} characters`),
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
  // A plain predicate, not z.record: 50,000 flows are checked for shape only; boundFlowJson bounds them.
  flows: z.array(z.custom<JsonObject>(isJsonObject, "each flow must be a JSON object (a Flow, or a jsonpb line with a flow)"), {
    error: "flows is required: an array of flow objects",
  }),
});

/** POST /api/investigations: saves a snapshot of the view, answers 201 { id, url }. */
export async function createInvestigationResponse(request: Request, api: InvestigationApi): Promise<Response> {
  // Only JSON: a cross-site HTML form cannot send application/json without a CORS preflight.
  const type = request.headers.get("content-type") ?? "";
  if (!/^application\/json\s*(;|$)/i.test(type)) {
    return apiError("unsupported-media-type", "send the investigation as JSON (Content-Type: application/json)");
  }
  const read = await readBoundedText(request, MAX_BODY_BYTES);
  if (!read.ok) return read.response;
  let json: unknown;
  try {
    json = JSON.parse(read.text);
  } catch {
    return apiError("invalid-investigation", "the body is not valid JSON");
  }
  if (isJsonObject(json) && Array.isArray(json.flows) && json.flows.length > MAX_FLOWS) {
    return apiError("too-large", `an investigation holds at most ${MAX_FLOWS} flows (got ${json.flows.length}); narrow the time window or the filter`);
  }
  const parsed = NewInvestigationBody.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue.path.length > 0 ? `${issue.path.join(".")}: ` : "";
    return apiError("invalid-investigation", `${where}${issue.message}`);
  }
  const body = parsed.data;
  // Flows come from workloads (attacker-controlled text): bounded like every flow the server sends.
  const flows = body.flows.map((f) => toJsonpbLine(boundFlowJson(isJsonObject(f.flow) ? f.flow : f) as JsonObject));
  try {
    const saved = await api.store.save({ title: body.title, note: body.note, view: body.view, selectedFlow: body.selectedFlow, flows, policies: api.policies() });
    const url = `/investigations/${saved.id}`;
    log.info("investigation saved", { id: saved.id, flows: saved.flowCount });
    return Response.json({ id: saved.id, url }, { status: 201, headers: { Location: url, "Cache-Control": "no-store" } });
  } catch (err) {
    if (err instanceof InvestigationInputError) return apiError("invalid-investigation", err.message);
    log.error(`saving an investigation failed: ${describe(err)}`);
    return apiError("internal", "the investigation could not be saved; try again");
  }
}

/** GET /api/investigations/<id>: the investigation without its flows. */
export async function investigationResponse(id: string, api: Pick<InvestigationApi, "store">): Promise<Response> {
  if (!isInvestigationId(id)) return notFound();
  try {
    const inv = await api.store.get(id);
    return inv === undefined ? notFound() : Response.json(inv, { headers: { "Cache-Control": "no-store" } });
  } catch (err) {
    log.error(`reading investigation failed: ${describe(err)}`, { id });
    return apiError("internal", "the investigation could not be read; try again");
  }
}

/** GET /api/investigations/<id>/flows: its flows as `hubble observe -o jsonpb` lines, like /api/flows/history. */
export async function investigationFlowsResponse(id: string, api: Pick<InvestigationApi, "store">): Promise<Response> {
  if (!isInvestigationId(id)) return notFound();
  let lines: string[] | undefined;
  try {
    lines = await api.store.flows(id);
  } catch (err) {
    log.error(`reading investigation flows failed: ${describe(err)}`, { id });
    return apiError("internal", "the investigation's flows could not be read; try again");
  }
  if (lines === undefined) return notFound();
  const encoder = new TextEncoder();
  const all = lines;
  let next = 0;
  // Encoded a slice at a time: 50,000 flows never sit in memory twice as one big string.
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (next >= all.length) {
        controller.close();
        return;
      }
      const slice = all.slice(next, next + FLOW_LINES_PER_CHUNK);
      next += slice.length;
      controller.enqueue(encoder.encode(`${slice.join("\n")}\n`));
    },
  });
  return new Response(body, {
    headers: {
      "Content-Type": "application/x-ndjson; charset=utf-8",
      "Content-Disposition": `inline; filename="investigation-${id}.jsonl"`,
      "Cache-Control": "no-store",
    },
  });
}

/** GET /api/investigations: the 50 newest, for a "recent investigations" list. */
export async function investigationListResponse(api: Pick<InvestigationApi, "store">): Promise<Response> {
  try {
    const list = await api.store.list(50);
    return Response.json(
      { investigations: list.map((s) => ({ id: s.id, title: s.title, createdAt: s.createdAt, flowCount: s.flowCount, url: `/investigations/${s.id}` })) },
      { headers: { "Cache-Control": "no-store" } },
    );
  } catch (err) {
    log.error(`listing investigations failed: ${describe(err)}`);
    return apiError("internal", "the investigations could not be listed; try again");
  }
}

function notFound(): Response {
  return apiError("not-found", "no such investigation: the link may be mistyped");
}

type BoundedText = { ok: true; text: string } | { ok: false; response: Response };

/** The body as UTF-8 text, refused with 413 as soon as it passes `limit` bytes (never buffered past it). */
async function readBoundedText(request: Request, limit: number): Promise<BoundedText> {
  const tooLarge = (): BoundedText => ({ ok: false, response: apiError("too-large", `the body is larger than ${Math.round(limit / 1024 / 1024)} MB`) });
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > limit) return tooLarge();
  if (request.body === null) return { ok: true, text: "" };
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel().catch(() => {});
      return tooLarge();
    }
    chunks.push(value);
  }
  try {
    return { ok: true, text: new TextDecoder("utf-8", { fatal: true }).decode(Buffer.concat(chunks, total)) };
  } catch {
    return { ok: false, response: apiError("invalid-investigation", "the body is not valid UTF-8") };
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
