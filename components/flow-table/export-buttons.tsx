"use client";

import type { JsonObject } from "@bufbuild/protobuf";
import type { FlowRow } from "@/lib/flow-model";
import { csvLines } from "@/lib/export/csv";
import { toJsonpbLine } from "@/lib/export/jsonpb";

export interface ExportButtonsProps {
  /** The flows in view, newest first (as the table shows them). */
  rows: readonly FlowRow[];
  /** Raw Hubble JSON by row id (FlowBufferSnapshot.raw). */
  raw: ReadonlyMap<string, JsonObject>;
  /** File name without extension; defaults to hubble-flows-<UTC time>. */
  fileName?: string;
}

/**
 * "Download jsonpb" (oldest first, as `hubble observe -o jsonpb` prints and `--replay` reads) and
 * "Download CSV" (in table order). The file is assembled from Blob parts, not one big string, so
 * 100,000 flows do not need a single 150 MB string.
 */
export function ExportButtons({ rows, raw, fileName }: ExportButtonsProps) {
  const disabled = rows.length === 0;
  const base = () => fileName ?? `hubble-flows-${new Date().toISOString().replace(/[:.]/g, "-")}`;

  const downloadJsonpb = () => {
    const parts: string[] = [];
    for (let i = rows.length - 1; i >= 0; i--) {
      const flow = raw.get(rows[i].id);
      if (flow) parts.push(`${toJsonpbLine(flow)}\n`);
    }
    download(new Blob(parts, { type: "application/x-ndjson" }), `${base()}.jsonl`);
  };

  const downloadCsv = () => {
    const parts = csvLines(rows).map((line) => `${line}\r\n`);
    download(new Blob(parts, { type: "text/csv;charset=utf-8" }), `${base()}.csv`);
  };

  const cls =
    "rounded border border-slate-300 px-2 py-0.5 text-xs text-slate-700 hover:bg-slate-100 disabled:cursor-not-allowed disabled:opacity-50 focus-visible:outline-2 focus-visible:outline-sky-500 dark:border-slate-600 dark:text-slate-200 dark:hover:bg-slate-800";
  const count = `${rows.length.toLocaleString("en-US")} ${rows.length === 1 ? "flow" : "flows"}`;
  return (
    <>
      <button type="button" className={cls} disabled={disabled} onClick={downloadJsonpb} aria-label={`Download ${count} as hubble jsonpb lines`}>
        Download jsonpb
      </button>
      <button type="button" className={cls} disabled={disabled} onClick={downloadCsv} aria-label={`Download ${count} as CSV`}>
        Download CSV
      </button>
    </>
  );
}

function download(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  a.rel = "noopener";
  a.style.display = "none";
  document.body.appendChild(a);
  a.click();
  a.remove();
  // Revoking at once can cancel the download in some browsers; a tick later is safe.
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
