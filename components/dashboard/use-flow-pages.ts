"use client";

import type { JsonObject } from "@bufbuild/protobuf";
import { useQuery } from "@tanstack/react-query";
import { useCallback, useMemo, useState } from "react";
import { api } from "@/lib/api/client";
import type { FlowQuery } from "@/lib/filter-model";
import { FlowBuffer, type FlowBufferSnapshot } from "@/lib/flow-buffer";
import { firstCursor, FLOW_PAGE_SIZE, olderCursor, type PageCursor, pageParams, pageRows, pausedWindow } from "@/lib/flow-pages";
import { snapshotFlows } from "@/lib/investigation";

export interface FlowPages {
  readonly state: "loading" | "ready" | "error";
  readonly error?: string;
  /** The current page, newest first, in the shape the table and the drawer read. */
  readonly flows: FlowBufferSnapshot;
  /** 0 for the newest page. */
  readonly page: number;
  readonly hasOlder: boolean;
  readonly hasNewer: boolean;
  readonly older: () => void;
  readonly newer: () => void;
}

const EMPTY: FlowBufferSnapshot = { rows: [], raw: new Map(), appended: 0, evicted: 0 };

/**
 * Every flow of a paused view's window that the relay still holds, a page at a time, newest first
 * (the live table shows what the flow budget let through; this shows all of it). Only the current
 * page is held; going back to a newer page asks again, from the cursor it started at.
 */
export function useFlowPages(query: FlowQuery, pausedAtMs: number | undefined): FlowPages {
  const window = useMemo(() => (pausedAtMs === undefined ? undefined : pausedWindow(query, pausedAtMs)), [query, pausedAtMs]);
  // The cursors of the pages seen so far, newest page first; reset when the view or the pause changes.
  const [trail, setTrail] = useState<{ key: string; cursors: PageCursor[] }>({ key: "", cursors: [] });
  const key = window ? `${JSON.stringify(query)}|${pausedAtMs}` : "";
  const cursors = useMemo(() => (trail.key === key ? trail.cursors : window ? [firstCursor(window)] : []), [trail, key, window]);
  if (trail.key !== key) setTrail({ key, cursors });
  const cursor = cursors[cursors.length - 1];

  const fetched = useQuery({
    queryKey: ["flow-page", key, cursor?.until ?? "", cursor?.skip.join(",") ?? ""],
    enabled: window !== undefined && cursor !== undefined,
    staleTime: Infinity,
    gcTime: 0,
    queryFn: async ({ signal }) => {
      const lines = await api.flowHistory(pageParams(query, window!, cursor!), signal);
      // The server applied the window; the browser only reads the lines (and checks the filters again).
      const { flows } = snapshotFlows(lines, { ...query, since: undefined, until: undefined }, new Date());
      return toPage(flows, cursor!);
    },
  });

  const next = fetched.data?.older;
  const older = useCallback(() => {
    if (next) setTrail({ key, cursors: [...cursors, next] });
  }, [next, key, cursors]);
  const newer = useCallback(() => {
    if (cursors.length > 1) setTrail({ key, cursors: cursors.slice(0, -1) });
  }, [key, cursors]);

  return {
    state: fetched.isError ? "error" : fetched.data ? "ready" : "loading",
    ...(fetched.isError ? { error: fetched.error.message } : {}),
    flows: fetched.data?.flows ?? EMPTY,
    page: Math.max(0, cursors.length - 1),
    hasOlder: next !== undefined,
    hasNewer: cursors.length > 1,
    older,
    newer,
  };
}

function toPage(flows: readonly JsonObject[], cursor: PageCursor): { flows: FlowBufferSnapshot; older: PageCursor | undefined } {
  const buffer = new FlowBuffer(FLOW_PAGE_SIZE + cursor.skip.length);
  buffer.add(flows);
  const all = buffer.snapshot;
  const rows = pageRows(all.rows, cursor);
  const raw = new Map<string, JsonObject>();
  for (const r of rows) raw.set(r.id, all.raw.get(r.id)!);
  return { flows: { rows, raw, appended: rows.length, evicted: 0 }, older: olderCursor(rows, cursor) };
}
