import { namespacesResponse } from "@/server/http/namespaces";
import { getRuntime } from "@/server/runtime";
import { apiRoute } from "@/server/http/guard";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

/** Namespaces with flows in the last hour, from the relay's GetNamespaces: those the person may see. */
export const GET = apiRoute(async (_request: Request, _ctx, viewer): Promise<Response> => {
  const { client } = await getRuntime();
  return namespacesResponse(client, viewer.access);
});
