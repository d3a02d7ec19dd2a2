import "server-only";

import { create } from "@bufbuild/protobuf";
import { type GetFlowsResponse, GetFlowsRequestSchema } from "@/proto/gen/observer/observer_pb";
import { getFlowsResponseToJson } from "@/lib/flow-json";
import { nsToTimestamp } from "@/lib/timestamp";
import { badRequest, parseFlowRequest } from "@/server/flow-request";
import { classifyRelayError } from "@/server/relay-client/errors";
import type { RelayClient } from "@/server/relay-client/relay-client";

const DEFAULT_LIMIT = 10_000;
const MAX_LIMIT = 100_000;
const DEFAULT_PER_NODE = 1000n;

/**
 * The bounded, non-following form of /api/flows: flows as `hubble observe -o jsonpb` lines
 * (GetFlowsResponse per line), which the demo relay's --replay reads back. `limit` caps the lines.
 */
export async function flowHistoryResponse(request: Request, client: RelayClient): Promise<Response> {
  const params = new URL(request.url).searchParams;
  const parsed = parseFlowRequest(params, new Date());
  if (!parsed.ok) return badRequest(parsed.problem);
  const limitRaw = params.get("limit");
  const limit = limitRaw === null ? DEFAULT_LIMIT : Number(limitRaw);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    return badRequest({ param: "limit", value: limitRaw ?? "", message: `limit must be a whole number from 1 to ${MAX_LIMIT}` });
  }
  const { sinceNs, untilNs, filters } = parsed.subscription;
  const req = create(GetFlowsRequestSchema, {
    whitelist: [...filters.whitelist],
    blacklist: [...filters.blacklist],
    follow: false,
    ...(sinceNs !== undefined ? { since: nsToTimestamp(sinceNs) } : { number: DEFAULT_PER_NODE }),
    ...(untilNs !== undefined ? { until: nsToTimestamp(untilNs) } : {}),
  });
  const iterator = client.getFlows(req, { signal: request.signal })[Symbol.asyncIterator]();

  // Prime the upstream before committing to a 200: an unreachable relay gets a real error status.
  let first: IteratorResult<GetFlowsResponse>;
  try {
    first = await iterator.next();
  } catch (err) {
    const e = classifyRelayError(err);
    return Response.json({ error: { code: e.code, message: e.message } }, { status: e.httpStatus });
  }

  const encoder = new TextEncoder();
  let sent = 0;
  let pending: IteratorResult<GetFlowsResponse> | undefined = first;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        for (;;) {
          const next = pending ?? (await iterator.next());
          pending = undefined;
          if (next.done || sent >= limit) {
            await iterator.return?.();
            controller.close();
            return;
          }
          const r = next.value;
          // Node status goes to stderr in the CLI; files hold flows and lost events only.
          if (r.responseTypes.case === "nodeStatus") continue;
          if (r.responseTypes.case === "flow") sent++;
          controller.enqueue(encoder.encode(`${getFlowsResponseToJson(r)}\n`));
          return;
        }
      } catch (err) {
        controller.error(err);
      }
    },
    async cancel() {
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
