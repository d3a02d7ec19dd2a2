// Test-only helpers: capture lines as the server sends them, and "does this entry select this flow".
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fromJson, type JsonObject } from "@bufbuild/protobuf";
import { FlowSchema } from "@/proto/gen/flow/flow_pb";
import { flowToJsonObject, parseGetFlowsResponseJson } from "../flow-json";
import { boundFlowJson } from "../flow-model";
import { toHubbleFilters } from "../filter-model/hubble-filters";
import type { FilterEntry } from "../filter-model/entry";
import { compileFlowFilters } from "../filters";

import { captureFiles } from "@/lib/testing/captures";

export { capturesDir, captureFiles } from "@/lib/testing/captures";

/** Every flow of every capture, as the server hands it to the browser (Go key order, bounded). */
export function captureFlows(): { file: string; line: number; raw: JsonObject }[] {
  const out: { file: string; line: number; raw: JsonObject }[] = [];
  for (const file of captureFiles()) {
    readFileSync(file, "utf8")
      .split("\n")
      .forEach((text, i) => {
        if (text.trim() === "") return;
        const r = parseGetFlowsResponseJson(text);
        if (r.responseTypes.case !== "flow") return;
        out.push({ file: path.basename(file), line: i + 1, raw: boundFlowJson(flowToJsonObject(r.responseTypes.value)) as JsonObject });
      });
  }
  return out;
}

/** Whether the filter bar holding only `entry` shows the flow `raw`, per Hubble's matching. */
export function entrySelects(entry: FilterEntry, raw: JsonObject): boolean {
  const { whitelist, blacklist } = toHubbleFilters({ namespaces: [], verdicts: [], filters: [entry] });
  return compileFlowFilters(whitelist, blacklist)(fromJson(FlowSchema, raw, { ignoreUnknownFields: true }));
}

export function assertSelects(entry: FilterEntry, raw: JsonObject, want: boolean, message: string): void {
  assert.equal(entrySelects(entry, raw), want, message);
}
