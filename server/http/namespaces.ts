import "server-only";
import type { NamespacesResponse } from "@/lib/api/namespaces";
import { ALL_NAMESPACES, canSeeNamespace, type NamespaceAccess } from "@/lib/access/scope";
import type { RelayClient } from "@/server/relay-client/relay-client";
import { relayErrorResponse } from "./api-error";

// GET /api/namespaces: namespaces with flows in the last hour, from the relay's GetNamespaces, only
// those the person may see. A relay failure is its classified error (503 unreachable, …).

export async function namespacesResponse(client: Pick<RelayClient, "getNamespaces">, access: NamespaceAccess = ALL_NAMESPACES): Promise<Response> {
  try {
    const res = await client.getNamespaces();
    const body: NamespacesResponse = {
      namespaces: res.namespaces.filter((n) => canSeeNamespace(access, n.namespace)).map((n) => ({ cluster: n.cluster, namespace: n.namespace })),
    };
    return Response.json(body, { headers: { "Cache-Control": "no-store" } });
  } catch (err) {
    return relayErrorResponse(err);
  }
}
