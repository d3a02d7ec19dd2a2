import { apiRoute } from "@/server/http/guard";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

/** Who is signed in and which namespaces they may see (the top bar shows it). */
export const GET = apiRoute((_request: Request, _ctx, viewer): Response =>
  Response.json(
    {
      user: viewer.user,
      email: viewer.email,
      groups: viewer.groups,
      auth: viewer.mode,
      namespaces: viewer.access.all ? "*" : [...viewer.access.namespaces].sort(),
    },
    { headers: { "Cache-Control": "no-store" } },
  ),
);
