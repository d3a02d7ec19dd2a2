import "server-only";
import type { SessionView } from "@/lib/api/session";
import type { Viewer } from "@/server/auth/viewer";

// GET /api/session: who is signed in and which namespaces they may see (the top bar shows it).

export function sessionResponse(viewer: Viewer): Response {
  const body: SessionView = {
    user: viewer.user,
    email: viewer.email,
    groups: viewer.groups,
    auth: viewer.mode,
    namespaces: viewer.access.all ? "*" : [...viewer.access.namespaces].sort(),
  };
  return Response.json(body, { headers: { "Cache-Control": "no-store" } });
}
