import { notFound } from "next/navigation";
import { Suspense } from "react";
import { InvestigationPage, InvestigationMissing } from "@/components/investigations/investigation-page";
import type { InvestigationMeta } from "@/components/investigations/types";
import { log } from "@/server/log";
import { getRuntime } from "@/server/runtime";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

/** A saved investigation, read from the store on the server so the page opens with it. */
export default async function Page({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  let investigation: InvestigationMeta | undefined;
  let failure: string | undefined;
  try {
    investigation = await (await getRuntime()).investigations.get(id);
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
