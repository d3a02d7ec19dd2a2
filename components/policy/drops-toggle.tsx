"use client";

// Above the table: the button that opens the Drops view (panel=drops), and the active `policy=`
// filter with a way to clear it (it is not a filter-bar entry: no Hubble filter can express it).

import { parsePolicyKey } from "@/lib/drops";
import { clip } from "./policy-status";

const BUTTON = "rounded border px-2 py-0.5 text-xs focus-visible:outline-2 focus-visible:outline-sky-500";
const OFF = "border-slate-300 text-slate-700 hover:bg-slate-100 dark:border-slate-600 dark:text-slate-200 dark:hover:bg-slate-800";
const ON = "border-sky-600 bg-sky-600 text-white hover:bg-sky-700 dark:border-sky-500 dark:bg-sky-600";

export function DropsToggle({ open, onToggle, policy, onClearPolicy }: { open: boolean; onToggle: () => void; policy: string | undefined; onClearPolicy: () => void }) {
  const id = policy ? parsePolicyKey(policy) : undefined;
  return (
    <span className="flex items-center gap-2 font-sans">
      {policy && (
        <span
          data-testid="policy-filter"
          className="flex items-center gap-1 rounded bg-sky-100 px-1.5 py-0.5 text-sky-900 dark:bg-sky-900/50 dark:text-sky-200"
          title={clip(policy, 300)}
        >
          Drops by {id ? clip(id.namespace ? `${id.namespace}/${id.name}` : id.name, 60) : clip(policy, 60)}
          <button
            type="button"
            onClick={onClearPolicy}
            aria-label="Clear the policy filter"
            className="rounded px-1 hover:bg-sky-200 focus-visible:outline-2 focus-visible:outline-sky-500 dark:hover:bg-sky-800"
          >
            ✕
          </button>
        </span>
      )}
      <button
        type="button"
        className={`${BUTTON} ${open ? ON : OFF}`}
        aria-pressed={open}
        onClick={onToggle}
        aria-label={open ? "Close the Drops view" : "Open the Drops view: drops by policy, reason and namespace pair"}
      >
        Drops
      </button>
    </span>
  );
}
