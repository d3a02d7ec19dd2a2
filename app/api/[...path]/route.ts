import { apiError } from "@/server/http/api-error";
import { apiRoute } from "@/server/http/guard";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

// Any other /api path: a 404 in the common error form (with the security headers), not Next's
// HTML not-found page.
const notFound = apiRoute(async (request: Request): Promise<Response> => {
  await request.body?.cancel().catch(() => {});
  return apiError("not-found", `there is no API at ${new URL(request.url).pathname.slice(0, 100)}; see the README's HTTP API table`);
});

export const GET = notFound;
export const POST = notFound;
export const PUT = notFound;
export const PATCH = notFound;
export const DELETE = notFound;
