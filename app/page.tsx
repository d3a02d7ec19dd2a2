import { LiveFlows } from "@/components/live-flows";

export default function HomePage() {
  return (
    <main className="mx-auto flex max-w-7xl flex-col gap-4 p-4">
      <header className="flex items-baseline gap-3">
        <h1 className="text-xl font-semibold">Hubble Lens</h1>
        <p className="text-sm text-slate-500">Who talks to whom in your cluster, and why was that request dropped.</p>
      </header>
      <LiveFlows />
    </main>
  );
}
