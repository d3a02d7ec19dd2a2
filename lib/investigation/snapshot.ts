// An investigation's saved flows, shown through the same view as live ones: the saved NDJSON is
// read with the jsonpb reader and passed through the view's query with Hubble's own filter
// semantics (lib/filters) and time window, so changing a filter on an investigation page behaves
// exactly as it does against the relay. Pure.

import type { JsonObject } from "@bufbuild/protobuf";
import { compileFlowFilters } from "../filters";
import { type FlowQuery, toHubbleFilters } from "../filter-model";
import { flowToJsonObject, parseJsonLines } from "../flow-json";
import { parseHubbleTime } from "../time";
import { timestampToNs, msToNs } from "../timestamp";

export interface SnapshotFlows {
  readonly flows: JsonObject[];
  /** Lines that were not flows (node status, lost events) — not an error. */
  readonly other: number;
  /** Lines that could not be read, with the first few reasons. */
  readonly unreadable: number;
  readonly problems: readonly string[];
  /** Flows the query left out. */
  readonly filteredOut: number;
  /** Every line that was not blank: flows (kept and left out), other lines and unreadable ones. */
  readonly lines: number;
  /**
   * The text does not end with a newline: the server ends every line with one, so a body that
   * stops mid-line was cut short (a proxy that ended a broken answer as if it were whole).
   */
  readonly cutShort: boolean;
}

const MAX_PROBLEMS = 5;

/**
 * The flows of a saved investigation that match `query`. `now` anchors relative times (a saved
 * view is absolute, but a user may pick "last 5m" on the page).
 */
export function snapshotFlows(ndjson: string, query: FlowQuery, now: Date): SnapshotFlows {
  const { whitelist, blacklist } = toHubbleFilters(query);
  const matches = compileFlowFilters(whitelist, blacklist);
  const sinceNs = query.since ? msToNs(parseHubbleTime(query.since, now).getTime()) : undefined;
  const untilNs = query.until ? msToNs(parseHubbleTime(query.until, now).getTime()) : undefined;
  const flows: JsonObject[] = [];
  const problems: string[] = [];
  let other = 0;
  let unreadable = 0;
  let filteredOut = 0;
  for (const line of parseJsonLines(ndjson)) {
    if (!line.ok) {
      unreadable++;
      if (problems.length < MAX_PROBLEMS) problems.push(line.error);
      continue;
    }
    const r = line.response.responseTypes;
    if (r.case !== "flow") {
      other++;
      continue;
    }
    const flow = r.value;
    const t = timestampToNs(flow.time);
    if ((sinceNs !== undefined && t < sinceNs) || (untilNs !== undefined && t > untilNs) || !matches(flow)) {
      filteredOut++;
      continue;
    }
    flows.push(flowToJsonObject(flow));
  }
  const lines = flows.length + other + unreadable + filteredOut;
  return { flows, other, unreadable, problems, filteredOut, lines, cutShort: lines > 0 && !ndjson.endsWith("\n") };
}
