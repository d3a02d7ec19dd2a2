"use client";

// The drawer's policy section: for a dropped or audited flow, which policy decided (or isolated
// the endpoint) and why, the near misses, and the smallest change that would allow it, with a
// copy button; for other flows, the same on request. Every text here (reasons, names, YAML) comes
// from the explainer or the cluster: rendered as text only, bounded.

import type { JsonObject } from "@bufbuild/protobuf";
import { useQuery } from "@tanstack/react-query";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { isInvestigatedDrop, policyShortName } from "@/lib/drops";
import { type FlowRow, toFlowRow } from "@/lib/flow-model";
import type { Explanation, PolicyId, RuleRef } from "@/lib/policy/types";
import { PolicyStatus, clip } from "./policy-status";
import { PolicyYaml } from "./policy-yaml";
import type { PolicyExplainer } from "./use-policy-explainer";
import { api } from "@/lib/api/client";

const MAX_TEXT = 2_000;
const MAX_LIST = 20;

export interface PolicyPanelProps {
  readonly explainer: PolicyExplainer;
  readonly flowId: string;
  readonly raw: JsonObject | undefined;
  readonly row: FlowRow | undefined;
}

const DECISION: Readonly<Record<Explanation["decision"], string>> = {
  "allow-rule": "allowed by a rule",
  "deny-rule": "deny rule",
  "default-deny": "default deny",
  "l7-deny": "denied at L7",
  "not-enforced": "no policy enforced",
  "implicit-allow": "always allowed",
};

const EVIDENCE: Readonly<Record<Explanation["evidence"], string>> = {
  hubble: "Hubble named the policy",
  policies: "worked out from the policies",
};

export function PolicyPanel({ explainer, flowId, raw, row }: PolicyPanelProps) {
  // A flow fetched from the relay (no longer in view) has no row: derive its verdict from the JSON.
  const shown = useMemo(() => row ?? (raw ? toFlowRow(raw) : undefined), [row, raw]);
  const drop = shown ? isInvestigatedDrop(shown) : false;
  const [asked, setAsked] = useState<string | undefined>(undefined);
  const wanted = drop || asked === flowId;
  const current = wanted && raw ? explainer.explain(flowId, raw) : undefined;
  const then = useExplanationAtFlowTime(explainer, wanted ? raw : undefined, shown?.timeMs, flowId);
  const explanation = then.explanation ?? current;

  return (
    <div data-testid="policy-panel" className="space-y-2 rounded border border-slate-200 p-2 text-xs dark:border-slate-700">
      <PolicyStatus policies={explainer.policies} compact />
      {!wanted ? (
        <button
          type="button"
          onClick={() => setAsked(flowId)}
          disabled={!explainer.ready}
          className="rounded border border-slate-300 px-2 py-1 text-xs hover:bg-slate-100 focus-visible:outline-2 focus-visible:outline-sky-500 disabled:opacity-50 dark:border-slate-600 dark:hover:bg-slate-800"
        >
          Explain this flow
        </button>
      ) : explanation ? (
        <>
          {then.note && (
            <p data-testid="policy-at-flow-time" className="rounded bg-sky-50 px-2 py-1 text-sky-900 dark:bg-sky-950 dark:text-sky-200">
              {then.note}
            </p>
          )}
          <ExplanationView explanation={explanation} explainer={explainer} />
        </>
      ) : (
        explainer.ready && <p className="text-slate-500 dark:text-slate-400">This flow could not be explained (its JSON is incomplete).</p>
      )}
    </div>
  );
}

function ExplanationView({ explanation: e, explainer }: { explanation: Explanation; explainer: PolicyExplainer }) {
  const denied = e.verdict === "denied";
  return (
    <div className="space-y-2">
      <div className="flex flex-wrap items-center gap-1.5">
        <span
          className={`rounded px-1.5 py-0.5 font-semibold ${
            denied ? "bg-red-100 text-red-800 dark:bg-red-900/50 dark:text-red-300" : "bg-emerald-100 text-emerald-800 dark:bg-emerald-900/50 dark:text-emerald-300"
          }`}
        >
          {denied ? "Denied" : "Allowed"}
        </span>
        <span className="rounded bg-slate-100 px-1.5 py-0.5 text-slate-700 dark:bg-slate-800 dark:text-slate-300">{DECISION[e.decision] ?? e.decision}</span>
        <span
          data-testid="policy-evidence"
          data-evidence={e.evidence}
          title={
            e.evidence === "hubble"
              ? "The flow itself names the policy (*_denied_by / *_allowed_by)"
              : "Hubble names no policy for this; the explainer evaluated the loaded policies"
          }
          className={`rounded px-1.5 py-0.5 ${e.evidence === "hubble" ? "bg-sky-100 text-sky-800 dark:bg-sky-900/50 dark:text-sky-300" : "bg-violet-100 text-violet-800 dark:bg-violet-900/50 dark:text-violet-300"}`}
        >
          {EVIDENCE[e.evidence] ?? e.evidence}
        </span>
      </div>
      <p data-testid="policy-reason" className="text-sm font-medium text-slate-900 dark:text-slate-100">
        {clip(e.reason, MAX_TEXT)}
      </p>
      {e.enforcementPoint && (
        <p className="text-slate-600 dark:text-slate-300">
          Enforced at <span className="font-mono">{clip(e.enforcementPoint.endpoint, 200)}</span>, {e.enforcementPoint.direction}.
        </p>
      )}
      {e.decisive && (
        <div data-testid="policy-decisive">
          <h4 className="mb-0.5 font-semibold text-slate-600 dark:text-slate-300">{denied ? "Deciding rule" : "Allowing rule"}</h4>
          <PolicyItem id={e.decisive} rule={e.decisive.rule} explainer={explainer} />
        </div>
      )}
      {e.isolating.length > 0 && (
        <div data-testid="policy-isolating">
          <h4 className="mb-0.5 font-semibold text-slate-600 dark:text-slate-300">
            {denied && !e.decisive ? "Isolating policies (default deny: no rule allows it)" : "Isolating policies"}
          </h4>
          <ul className="space-y-1">
            {e.isolating.slice(0, MAX_LIST).map((p, i) => (
              <li key={i}>
                <PolicyItem id={p} note={`isolates ${p.direction}`} explainer={explainer} />
              </li>
            ))}
          </ul>
        </div>
      )}
      {e.nearMisses.length > 0 && (
        <div data-testid="policy-near-misses">
          <h4 className="mb-0.5 font-semibold text-slate-600 dark:text-slate-300">Near misses</h4>
          <ul className="space-y-1">
            {e.nearMisses.slice(0, MAX_LIST).map((m, i) => (
              <li key={i}>
                <PolicyItem id={m} rule={m.rule} note={`failed: ${m.failed.join(", ") || "?"}`} explainer={explainer} />
                <p className="pl-2 text-slate-600 dark:text-slate-300">{clip(m.why, MAX_TEXT)}</p>
              </li>
            ))}
          </ul>
        </div>
      )}
      {e.suggestion && <Suggestion summary={e.suggestion.summary} yaml={e.suggestion.yaml} />}
    </div>
  );
}

function PolicyItem({ id, rule, note, explainer }: { id: PolicyId | RuleRef; rule?: string; note?: string; explainer: PolicyExplainer }) {
  const policy = explainer.policy(id);
  return (
    <details className="rounded bg-slate-50 px-1.5 py-1 dark:bg-slate-900">
      <summary className="cursor-pointer">
        <span className="text-slate-500 dark:text-slate-400">{id.kind}</span> <span className="font-mono font-medium">{clip(policyShortName(id), 200)}</span>
        {rule && <span className="font-mono text-slate-500 dark:text-slate-400"> · {clip(rule, 200)}</span>}
        {note && <span className="text-slate-500 dark:text-slate-400"> · {note}</span>}
      </summary>
      <div className="mt-1">
        {policy ? <PolicyYaml yaml={policy.yaml} rule={rule} /> : <p className="text-slate-500 dark:text-slate-400">This policy is not among the loaded ones.</p>}
        {policy?.origin && <p className="mt-0.5 text-[11px] text-slate-500 dark:text-slate-400">From {clip(policy.origin, 200)}.</p>}
      </div>
    </details>
  );
}

function Suggestion({ summary, yaml }: { summary: string; yaml: string }) {
  const [copied, setCopied] = useState<"" | "copied" | "failed">("");
  const timer = useRef<number | undefined>(undefined);
  useEffect(() => () => window.clearTimeout(timer.current), []);
  const copy = useCallback(async () => {
    let ok = true;
    try {
      await navigator.clipboard.writeText(yaml);
    } catch {
      ok = false;
    }
    setCopied(ok ? "copied" : "failed");
    window.clearTimeout(timer.current);
    timer.current = window.setTimeout(() => setCopied(""), 3000);
  }, [yaml]);
  return (
    <div data-testid="policy-suggestion" className="space-y-1 rounded border border-emerald-200 p-1.5 dark:border-emerald-900">
      <div className="flex items-center gap-2">
        <h4 className="font-semibold text-emerald-800 dark:text-emerald-300">Suggested fix</h4>
        <button
          type="button"
          data-testid="copy-suggestion"
          onClick={() => void copy()}
          aria-label="Copy the suggested policy YAML"
          className="ml-auto rounded border border-slate-300 px-1.5 py-px text-[11px] hover:bg-slate-100 focus-visible:outline-2 focus-visible:outline-sky-500 dark:border-slate-600 dark:hover:bg-slate-800"
        >
          {copied === "copied" ? "Copied" : copied === "failed" ? "Copy failed" : "Copy"}
        </button>
      </div>
      <p className="text-slate-700 dark:text-slate-200">{clip(summary, MAX_TEXT)}</p>
      <pre className="max-h-72 overflow-auto whitespace-pre rounded bg-slate-50 p-1.5 font-mono text-[11px] leading-snug dark:bg-slate-900">{clip(yaml, 32_000)}</pre>
      <p role="status" aria-live="polite" className="sr-only">
        {copied === "copied" ? "Suggestion copied." : copied === "failed" ? "The browser refused clipboard access." : ""}
      </p>
    </div>
  );
}

/**
 * When the policies changed after the flow happened, the explanation that matters is the one
 * against the policies in force then: the server keeps the history (POST /api/explain, at=flow).
 * Until it answers, and when it cannot, the explanation against today's policies stands.
 */
function useExplanationAtFlowTime(
  explainer: PolicyExplainer,
  raw: JsonObject | undefined,
  flowMs: number | undefined,
  flowId: string,
): { explanation: Explanation | undefined; note: string | undefined } {
  const data = explainer.policies.data;
  const older =
    raw !== undefined &&
    data !== undefined &&
    data.source !== "investigation" &&
    data.source !== "none" &&
    data.history.length > 1 &&
    flowMs !== undefined &&
    flowMs > 0 &&
    flowMs < Date.parse(data.since);
  const q = useQuery({
    queryKey: ["explain-at-flow-time", flowId, data?.version ?? 0],
    enabled: older,
    staleTime: Infinity,
    retry: false,
    queryFn: ({ signal }) => api.explain({ flow: raw, at: "flow" }, signal),
  });
  if (!older || !q.data || String(q.data.version) === String(data?.version)) return { explanation: undefined, note: undefined };
  return {
    explanation: q.data.explanation,
    note: `The policies changed after this flow (now version ${data?.version}); it is explained with version ${q.data.version ?? "?"}, in force when it happened${q.data.since ? ` (since ${q.data.since})` : ""}.`,
  };
}
