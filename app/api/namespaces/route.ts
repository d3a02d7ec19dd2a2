import { canSeeNamespace } from "@/lib/access/scope";
import { getRuntime } from "@/server/runtime";
import { classifyRelayError } from "@/server/relay-client/errors";
import { apiRoute } from "@/server/http/guard";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

/** Namespaces with flows in the last hour, from the relay's GetNamespaces: those the person may see. */
export const GET = apiRoute(async (_request: Request, _ctx, viewer): Promise<Response> => {
  const { client } = await getRuntime();
  try {
    const res = await client.getNamespaces();
    return Response.json(
      {
        namespaces: res.namespaces.filter((n) => canSeeNamespace(viewer.access, n.namespace)).map((n) => ({ cluster: n.cluster, namespace: n.namespace })),
      },
      { headers: { "Cache-Control": "no-store" } },
    );
  } catch (err) {
    const e = classifyRelayError(err);
    return Response.json({ error: { code: e.code, message: e.message } }, { status: e.httpStatus });
  }
});
