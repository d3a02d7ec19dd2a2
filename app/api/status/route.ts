import { getRuntime } from "@/server/runtime";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

/** Relay connection, nodes, flows/s, buffer fill and age. */
export async function GET(): Promise<Response> {
  const { status } = await getRuntime();
  return Response.json(await status.status(), { headers: { "Cache-Control": "no-store" } });
}
