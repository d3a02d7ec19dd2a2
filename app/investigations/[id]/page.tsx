import { headers } from "next/headers";
import { notFound } from "next/navigation";
import { Suspense } from "react";
import { InvestigationPage, InvestigationMissing } from "@/components/investigations/investigation-page";
import type { InvestigationView } from "@/lib/api/investigations";
import { log } from "@/server/log";
import { getRuntime } from "@/server/runtime";
import { getServerConfig } from "@/server/config/env";
import { viewerOf } from "@/server/auth/viewer";
import { investigationForViewer, openInvestigation } from "@/server/investigations/access";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

/** A saved investigation, read from the store on the server so the page opens with it. */
export default async function Page({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  let investigation: InvestigationView | undefined;
  let failure: string | undefined;
  // The middleware let the request in; who it is decides whether this investigation opens: only
  // for those who may see every one of its flows, else the same 404 as an unknown id.
  const who = await viewerOf(await headers(), getServerConfig().auth);
  if (!who.ok) notFound();
  try {
    const runtime = await getRuntime();
    const found = await openInvestigation(runtime.investigations, id, who.viewer);
    investigation = found && (await investigationForViewer(found, who.viewer, runtime.history));
  } catch (err) {
    // The store's own message may name hosts or tables: it goes to the log, not to the page.
    log.error("investigation page: the store could not be read", { id: id.slice(0, 64), error: err instanceof Error ? err.message : String(err) });
    failure = "the database did not answer; try again, and see the server log if it persists";
  }
  if (failure) return <InvestigationMissing failure={failure} />;
  // An unknown or malformed id is a 404 (not-found.tsx), as the API answers for it.
  if (!investigation) notFound();
  return (
    <Suspense fallback={<p className="p-4 text-sm text-slate-500">Loading the investigation…</p>}>
      <InvestigationPage investigation={investigation} />
    </Suspense>
  );
}
