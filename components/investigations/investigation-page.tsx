"use client";

import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { useEffect } from "react";
import { Dashboard } from "@/components/dashboard/dashboard";
import type { InvestigationView } from "@/lib/api/investigations";
import { withBasePath } from "@/lib/base-path";

/**
 * /investigations/<id>: the saved view over the saved flows and policies. The URL starts as the
 * saved view; changing filters here narrows the saved flows, as it would narrow live ones.
 */
export function InvestigationPage({ investigation }: { readonly investigation: InvestigationView }) {
  const params = useSearchParams();
  const router = useRouter();
  const pathname = usePathname();
  const needsView = params.toString() === "" && investigation.view !== "";
  useEffect(() => {
    if (needsView) router.replace(`${pathname}?${investigation.view}`, { scroll: false });
  }, [needsView, pathname, router, investigation.view]);
  if (needsView) return <p className="p-4 text-sm text-slate-500">Opening the saved view…</p>;
  return <Dashboard investigation={investigation} />;
}

export function InvestigationMissing({ failure }: { readonly failure?: string }) {
  return (
    <div className="p-6 text-sm" role="alert">
      <h1 className="mb-2 text-base font-semibold">This investigation cannot be shown</h1>
      <p>
        {failure
          ? `The investigation store could not be read: ${failure}`
          : "No investigation has this link. It may have been mistyped, or saved on another Hubble Lens that does not share its database."}
      </p>
      <a href={withBasePath("/")} className="mt-3 inline-block underline">
        Open the live dashboard
      </a>
    </div>
  );
}
