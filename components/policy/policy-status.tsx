"use client";

// Says where the policies come from, or why there are none, and lists problems (bad documents,
// unreadable sources) in a collapsible note. Shared by the drawer's policy panel and the Drops view.

import type { LoadedPolicies } from "./use-policies";

const MAX_PROBLEMS = 50;
export const NO_POLICIES_TEXT = "No policies loaded — set HUBBLE_LENS_POLICIES or connect to the Kubernetes API";

export function PolicyStatus({ policies, compact = false }: { policies: LoadedPolicies; compact?: boolean }) {
  const { state, data, error } = policies;
  if (state === "loading") return <p className="text-xs text-slate-500 dark:text-slate-400">Loading policies…</p>;
  if (state === "error")
    return (
      <p role="status" className="rounded bg-amber-50 px-2 py-1 text-xs text-amber-900 dark:bg-amber-950 dark:text-amber-200">
        Policies could not be loaded ({error}). Only what Hubble names is shown.
      </p>
    );
  if (!data) return null;
  const problems = data.problems ?? [];
  const status = data.status && typeof data.status === "object" ? data.status : undefined;
  return (
    <div className="space-y-1 text-xs">
      {status && status.state !== "ready" && data.source !== "none" && (
        <p role="status" className="rounded bg-amber-50 px-2 py-1 text-amber-900 dark:bg-amber-950 dark:text-amber-200">
          {status.state === "loading" ? `Policies are still loading from ${data.source}…` : `The ${data.source} policy source has a problem`}
          {status.message ? `: ${clip(status.message, 500)}` : "."}
        </p>
      )}
      {data.source === "none" ? (
        <p role="status" data-testid="policy-none" className="rounded bg-amber-50 px-2 py-1 text-amber-900 dark:bg-amber-950 dark:text-amber-200">
          {NO_POLICIES_TEXT}
        </p>
      ) : (
        !compact && (
          <p className="text-slate-500 dark:text-slate-400">
            {data.policies.length} {data.policies.length === 1 ? "policy" : "policies"}{" "}
            {data.source === "investigation" ? "as saved with this investigation" : `from ${data.source}`}, version {data.version}
            {data.since ? ` (since ${data.since})` : ""}.
          </p>
        )
      )}
      {problems.length > 0 && (
        <details className="rounded bg-amber-50 px-2 py-1 text-amber-900 dark:bg-amber-950 dark:text-amber-200">
          <summary className="cursor-pointer">
            {problems.length} {problems.length === 1 ? "problem" : "problems"} reading the policies
          </summary>
          <ul className="mt-1 list-disc space-y-0.5 pl-4">
            {problems.slice(0, MAX_PROBLEMS).map((p, i) => (
              <li key={i} className="break-words">
                <span className="font-mono">{clip(p.where, 200)}</span>: {clip(p.message, 500)}
              </li>
            ))}
            {problems.length > MAX_PROBLEMS && <li>… {problems.length - MAX_PROBLEMS} more</li>}
          </ul>
        </details>
      )}
    </div>
  );
}

export function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
