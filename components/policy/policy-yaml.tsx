"use client";

// A policy's YAML with line numbers, the deciding rule's lines highlighted (lib/policy
// `ruleLineRange`). The YAML comes from the cluster: rendered as text only, and bounded.

import { useMemo } from "react";
import { ruleLineRange } from "@/lib/policy";

const MAX_CHARS = 64_000;
const MAX_LINES = 1_500;

export function PolicyYaml({ yaml, rule }: { yaml: string; rule?: string }) {
  const { lines, range, cut } = useMemo(() => {
    const text = yaml.length > MAX_CHARS ? yaml.slice(0, MAX_CHARS) : yaml;
    const all = text.split("\n");
    if (all.length > 1 && all[all.length - 1] === "") all.pop();
    let r: { start: number; end: number } | null = null;
    if (rule) {
      try {
        r = ruleLineRange(yaml, rule);
      } catch {
        r = null;
      }
    }
    return { lines: all.slice(0, MAX_LINES), range: r, cut: yaml.length > MAX_CHARS || all.length > MAX_LINES };
  }, [yaml, rule]);
  const width = String(lines.length).length;
  return (
    <div>
      <pre
        data-testid="policy-yaml"
        className="max-h-96 overflow-auto rounded bg-slate-50 py-1 font-mono text-[11px] leading-snug text-slate-800 dark:bg-slate-900 dark:text-slate-200"
      >
        {lines.map((line, i) => {
          const n = i + 1;
          const hit = range !== null && n >= range.start && n <= range.end;
          return (
            <div key={i} data-highlighted={hit ? "true" : undefined} className={`flex whitespace-pre ${hit ? "bg-amber-100 dark:bg-amber-900/50" : ""}`}>
              <span aria-hidden="true" className="mr-2 inline-block shrink-0 select-none pl-1 text-right text-slate-400 dark:text-slate-500" style={{ width: `${width + 1}ch` }}>
                {n}
              </span>
              <span>{line === "" ? "\u00a0" : line}</span>
            </div>
          );
        })}
      </pre>
      {range && (
        <p className="mt-0.5 text-[11px] text-slate-500 dark:text-slate-400">
          Highlighted: lines {range.start}–{range.end} ({rule}).
        </p>
      )}
      {cut && <p className="mt-0.5 text-[11px] text-slate-500 dark:text-slate-400">Cut: only the first {MAX_LINES} lines are shown.</p>}
    </div>
  );
}
