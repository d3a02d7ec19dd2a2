import "server-only";

import { create } from "@bufbuild/protobuf";
import { type GetFlowsResponse, GetFlowsRequestSchema } from "@/proto/gen/observer/observer_pb";
import { getFlowsResponseToJson } from "@/lib/flow-json";
import { nsToTimestamp } from "@/lib/timestamp";
import { badRequest, type ParamProblem, parseFlowRequest } from "@/server/flow-request";
import type { FlowSource } from "@/server/relay-client/relay-client";
import { ALL_NAMESPACES, type NamespaceAccess } from "@/lib/access/scope";
import { relayErrorResponse } from "./api-error";

const DEFAULT_LIMIT = 10_000;
const MAX_LIMIT = 100_000;
const MAX_LOST_KEPT = 1000;

/**
 * The bounded, non-following form of /api/flows: flows as `hubble observe -o jsonpb` lines
 * (GetFlowsResponse per line), which the demo relay's --replay reads back. How many, and which end
 * of the window, as the CLI's flags say it: `last=N` the newest N (`--last`), `first=N` the oldest
 * N (`--first`), in the window `since`/`until` when given. `limit=N` is the older spelling: the
 * newest N without `since` and the first N from `since` on. With flow history, a `since` older
 * than the relay's buffers is answered from the store, joined with the relay at the seam
 * (server/flow-store).
 */
export async function flowHistoryResponse(request: Request, client: FlowSource, access: NamespaceAccess = ALL_NAMESPACES): Promise<Response> {
  const params = new URL(request.url).searchParams;
  const parsed = parseFlowRequest(params, new Date(), access);
  if (!parsed.ok) return badRequest(parsed.problem);
  const take = parseTake(params, parsed.subscription.sinceNs !== undefined);
  if (!take.ok) return badRequest(take.problem);
  const { end, limit } = take;
  const { sinceNs, untilNs, filters } = parsed.subscription;
  const req = create(GetFlowsRequestSchema, {
    whitelist: [...filters.whitelist],
    blacklist: [...filters.blacklist],
    follow: false,
    // Per node, as the relay counts it; the overall cap is applied below. The newest N of a window
    // that has a start need every flow of it: the relay counts `number` from `since` on.
    number: end === "last" && sinceNs !== undefined ? 0n : BigInt(limit),
    ...(end === "first" && sinceNs === undefined ? { first: true } : {}),
    ...(sinceNs !== undefined ? { since: nsToTimestamp(sinceNs) } : {}),
    ...(untilNs !== undefined ? { until: nsToTimestamp(untilNs) } : {}),
  });
  const iterator = client.getFlows(req, { signal: request.signal })[Symbol.asyncIterator]();

  // Prime the upstream before committing to a 200: an unreachable relay gets a real error status.
  let first: IteratorResult<GetFlowsResponse>;
  try {
    first = await iterator.next();
  } catch (err) {
    return relayErrorResponse(err);
  }

  const encoder = new TextEncoder();
  const lines = end === "last" ? newest(iterator, first, limit) : oldest(iterator, first, limit);
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const next = await lines.next();
        if (next.done) controller.close();
        else controller.enqueue(encoder.encode(`${getFlowsResponseToJson(next.value)}\n`));
      } catch (err) {
        controller.error(err);
      }
    },
    async cancel() {
      await lines.return(undefined);
      await iterator.return?.();
    },
  });
  return new Response(body, {
    headers: {
      "Content-Type": "application/x-ndjson; charset=utf-8",
      "Content-Disposition": 'inline; filename="flows.jsonl"',
      "Cache-Control": "no-store",
    },
  });
}

type Take = { ok: true; end: "first" | "last"; limit: number } | { ok: false; problem: ParamProblem };

/** `first=N`, `last=N` or `limit=N` (at most one of them). */
function parseTake(params: URLSearchParams, hasSince: boolean): Take {
  const given = (["first", "last", "limit"] as const).filter((name) => params.has(name));
  if (given.length > 1) {
    return { ok: false, problem: { param: given[1], value: params.get(given[1]) ?? "", message: `give one of first, last and limit, not ${given.join(" and ")}` } };
  }
  const name = given[0] ?? "limit";
  const raw = params.get(name);
  const limit = raw === null ? DEFAULT_LIMIT : Number(raw);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    return { ok: false, problem: { param: name, value: raw ?? "", message: `${name} must be a whole number from 1 to ${MAX_LIMIT}` } };
  }
  const end = name === "first" ? "first" : name === "last" ? "last" : hasSince ? "first" : "last";
  return { ok: true, end, limit };
}

type Responses = AsyncIterator<GetFlowsResponse>;

/** Files hold flows and lost events; node status goes to stderr in the CLI. */
function kept(r: GetFlowsResponse): boolean {
  return r.responseTypes.case === "flow" || r.responseTypes.case === "lostEvents";
}

/** The first `limit` flows (and the lost events among them), streamed as they come. */
async function* oldest(it: Responses, first: IteratorResult<GetFlowsResponse>, limit: number): AsyncGenerator<GetFlowsResponse> {
  let sent = 0;
  for (let next = first; !next.done && sent < limit; next = await it.next()) {
    if (!kept(next.value)) continue;
    if (next.value.responseTypes.case === "flow") sent++;
    yield next.value;
  }
  await it.return?.();
}

/** The newest `limit` flows: read to the end keeping a bounded window, then oldest first. */
async function* newest(it: Responses, first: IteratorResult<GetFlowsResponse>, limit: number): AsyncGenerator<GetFlowsResponse> {
  const flows: GetFlowsResponse[] = [];
  const lost: GetFlowsResponse[] = [];
  for (let next = first; !next.done; next = await it.next()) {
    const r = next.value;
    if (r.responseTypes.case === "flow") {
      flows.push(r);
      if (flows.length > 2 * limit) flows.splice(0, flows.length - limit);
    } else if (r.responseTypes.case === "lostEvents" && lost.length < MAX_LOST_KEPT) {
      lost.push(r);
    }
  }
  yield* lost;
  yield* flows.slice(-limit);
}
