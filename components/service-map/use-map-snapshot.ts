"use client";

import { useEffect, useRef, useState } from "react";
import type { FlowRow } from "@/lib/flow-model";
import { ServiceMapModel } from "@/lib/service-map/aggregate";
import { diffRows, rowsSpanMs } from "@/lib/service-map/row-diff";
import type { ServiceMapSnapshot } from "@/lib/service-map/types";
import type { Grouping } from "@/lib/view-state";

/** While streaming, the map takes a new snapshot at most this often. */
export const SNAPSHOT_INTERVAL_MS = 500;

/**
 * Feeds the parent's rows (newest first, as the flow buffer holds them) into a ServiceMapModel and
 * returns its snapshot, at most twice a second. Only the difference since the last feed is
 * aggregated (new rows added, evicted rows removed); anything else re-aggregates from scratch.
 */
export function useServiceMapSnapshot(rows: readonly FlowRow[], grouping: Grouping): ServiceMapSnapshot {
  const [model] = useState(() => ({ current: new ServiceMapModel(grouping) }));
  const [snapshot, setSnapshot] = useState<ServiceMapSnapshot>(() => model.current.snapshot());
  const fedRows = useRef<readonly FlowRow[]>([]);
  const latest = useRef({ rows, grouping });
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const lastFlush = useRef(-Infinity);

  useEffect(() => {
    latest.current = { rows, grouping };
    const flush = () => {
      timer.current = undefined;
      lastFlush.current = performance.now();
      const { rows: next, grouping: g } = latest.current;
      let m = model.current;
      if (m.grouping !== g) {
        m = model.current = new ServiceMapModel(g);
        fedRows.current = [];
      }
      const diff = diffRows(fedRows.current, next);
      if (diff.kind === "reset") {
        m.reset();
        m.add(next);
      } else if (diff.kind === "delta") {
        m.add(diff.added);
        m.remove(diff.removed);
      }
      fedRows.current = next;
      setSnapshot(m.snapshot({ windowMs: rowsSpanMs(next) }));
    };
    const regroup = model.current.grouping !== grouping;
    const wait = SNAPSHOT_INTERVAL_MS - (performance.now() - lastFlush.current);
    if (regroup || wait <= 0) {
      clearTimeout(timer.current);
      flush();
    } else if (timer.current === undefined) {
      timer.current = setTimeout(flush, wait);
    }
  }, [rows, grouping, model]);

  useEffect(
    () => () => {
      clearTimeout(timer.current);
      timer.current = undefined;
    },
    [],
  );

  return snapshot;
}
