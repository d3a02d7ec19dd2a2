"use client";

import type { JsonObject } from "@bufbuild/protobuf";
import { useMemo, useState } from "react";
import { compilePolicySet, explainFlow, type Explanation } from "@/lib/policy";
import { buttonClass, mutedText } from "@/components/top-bar/ui";
import { api } from "@/lib/api/client";
import type { FlowReferenceView, InvestigationView } from "@/lib/api/investigations";
import { withBasePath } from "@/lib/base-path";
import { referenceAvailability, type SavedFlowsRead } from "@/lib/investigation";

/** The owner's delete: a second click confirms; afterwards the page says it is gone. */
function DeleteInvestigation({ id }: { readonly id: string }) {
  const [state, setState] = useState<"idle" | "confirm" | "deleting" | "deleted" | { failed: string }>("idle");
  const remove = async () => {
    setState("deleting");
    try {
      await api.deleteInvestigation(id);
      setState("deleted");
    } catch (err) {
      setState({ failed: err instanceof Error ? err.message : String(err) });
    }
  };
  if (state === "deleted")
    return (
      <span role="status" data-testid="investigation-deleted" className="text-xs font-medium">
        Deleted: this link no longer opens it.
      </span>
    );
  return (
    <span className="text-xs">
      <button
        type="button"
        className={buttonClass}
        data-testid="investigation-delete"
        disabled={state === "deleting"}
        onClick={() => (state === "confirm" ? void remove() : setState("confirm"))}
      >
        {state === "confirm" ? "Really delete?" : state === "deleting" ? "Deleting…" : "Delete"}
      </button>
      {typeof state === "object" && <span role="alert"> Could not delete: {state.failed}</span>}
    </span>
  );
}

type Comparison =
  | { readonly kind: "idle" }
  | { readonly kind: "loading" }
  | { readonly kind: "done"; readonly now: Explanation; readonly since: string | null }
  | { readonly kind: "failed"; readonly message: string };

/**
 * The head of an investigation page: what was saved, when, with which policies, and "compare
 * with now" for the selected flow — its explanation under the saved policies beside the one
 * under today's. `savedFlows`: how the read of its flows went (a referenced one says from it how
 * many remain).
 */
export function InvestigationBanner({
  investigation,
  selected,
  savedFlows = { state: "reading" },
}: {
  readonly investigation: InvestigationView;
  readonly selected: JsonObject | undefined;
  readonly savedFlows?: SavedFlowsRead;
}) {
  const compiled = useMemo(() => compilePolicySet(investigation.policies), [investigation.policies]);
  const then = useMemo(() => (selected ? safeExplain(selected, compiled) : undefined), [selected, compiled]);
  const [comparison, setComparison] = useState<Comparison>({ kind: "idle" });
  const [forFlow, setForFlow] = useState<JsonObject | undefined>(undefined);
  const current = forFlow === selected ? comparison : ({ kind: "idle" } as const);

  const compare = async () => {
    if (!selected) return;
    setForFlow(selected);
    setComparison({ kind: "loading" });
    try {
      const result = await api.explain({ flow: selected, at: "now" });
      setComparison({ kind: "done", now: result.explanation, since: result.since });
    } catch (err) {
      setComparison({ kind: "failed", message: err instanceof Error ? err.message : String(err) });
    }
  };

  return (
    <section
      aria-label="Investigation"
      data-testid="investigation-banner"
      className="border-b border-violet-200 bg-violet-50 px-4 py-2 text-sm text-violet-950 dark:border-violet-900 dark:bg-violet-950 dark:text-violet-100"
    >
      <div className="flex flex-wrap items-baseline gap-x-3 gap-y-1">
        <h1 className="font-semibold" data-testid="investigation-title">
          {investigation.title}
        </h1>
        <span className={`text-xs ${mutedText}`}>
          saved {formatTime(investigation.createdAt)} · {investigation.flowCount.toLocaleString("en-US")} flows · policies as of {formatTime(investigation.policies.since)} (
          {investigation.policies.policies.length} policies)
        </span>
        {investigation.owner && <span className={`text-xs ${mutedText}`}>by {investigation.owner}</span>}
        {investigation.canDelete && <DeleteInvestigation id={investigation.id} />}
        <a
          href={api.investigationDownloadUrl(investigation.id)}
          className="ml-auto text-xs underline"
          data-testid="investigation-download"
          title="Every flow of the investigation as hubble observe -o jsonpb lines"
        >
          Download flows
        </a>
        <a href={withBasePath("/")} className="text-xs underline">
          Back to live flows
        </a>
      </div>
      {investigation.reference && <ReferenceNote reference={investigation.reference} read={savedFlows} />}
      {investigation.note && <p className="mt-1 max-h-24 overflow-auto whitespace-pre-wrap text-xs">{investigation.note}</p>}
      {selected && (
        <div className="mt-2 flex flex-wrap items-start gap-3 text-xs">
          <button type="button" className={buttonClass} onClick={() => void compare()} disabled={current.kind === "loading"}>
            {current.kind === "loading" ? "Comparing…" : "Compare with now"}
          </button>
          {current.kind === "failed" && <span role="alert">Could not explain against today&apos;s policies: {current.message}</span>}
          {current.kind === "done" && then && (
            <div data-testid="compare-result" className="space-y-0.5">
              <p>
                <span className="font-medium">When saved:</span> {summary(then)}
              </p>
              <p>
                <span className="font-medium">Now{current.since ? ` (policies since ${formatTime(current.since)})` : ""}:</span> {summary(current.now)}
              </p>
              {current.now.reason !== then.reason && <p className="text-violet-800 dark:text-violet-300">{current.now.reason}</p>}
              <p className="font-medium" data-testid="compare-verdict">
                {then.verdict === current.now.verdict
                  ? `Still ${current.now.verdict === "denied" ? "dropped" : "allowed"} under today's policies.`
                  : current.now.verdict === "allowed"
                    ? "Today's policies would allow this flow."
                    : "Today's policies would drop this flow."}
              </p>
            </div>
          )}
        </div>
      )}
    </section>
  );
}

/** Where a referenced investigation's flows come from, and, when retention removed some, how many remain. */
function ReferenceNote({ reference, read }: { readonly reference: FlowReferenceView; readonly read: SavedFlowsRead }) {
  const availability = referenceAvailability(reference, read);
  if (availability.state === "incomplete") {
    return (
      <p role="status" data-testid="investigation-retention" className="mt-1 rounded bg-amber-100 px-2 py-1 text-xs text-amber-950 dark:bg-amber-900 dark:text-amber-100">
        {availability.message}
      </p>
    );
  }
  return (
    <p className={`mt-1 text-xs ${mutedText}`} data-testid="investigation-reference">
      Flows read from the flow history: {reference.savedCount.toLocaleString("en-US")} flows from {formatTime(reference.since)} to {formatTime(reference.until)}
      {availability.state === "reading" ? " when saved; reading them…" : "."}
    </p>
  );
}

function safeExplain(flow: JsonObject, compiled: ReturnType<typeof compilePolicySet>): Explanation | undefined {
  try {
    return explainFlow(flow, compiled);
  } catch {
    return undefined;
  }
}

function summary(e: Explanation): string {
  const who = e.decisive
    ? `${e.decisive.kind} ${e.decisive.namespace ? `${e.decisive.namespace}/` : ""}${e.decisive.name}`
    : e.isolating.map((p) => `${p.kind} ${p.namespace ? `${p.namespace}/` : ""}${p.name}`).join(", ");
  return `${e.verdict}, ${e.decision}${who ? ` (${who})` : ""}`;
}

function formatTime(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString("en-GB", { timeZone: "UTC", hour12: false }) + " UTC";
}
