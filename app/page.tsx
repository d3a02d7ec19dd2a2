import { Suspense } from "react";
import { Dashboard } from "@/components/dashboard/dashboard";

export default function HomePage() {
  return (
    <Suspense fallback={<p className="p-4 text-sm text-slate-500">Loading Hubble Lens…</p>}>
      <Dashboard />
    </Suspense>
  );
}
