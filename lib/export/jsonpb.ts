// Flows as `hubble observe -o jsonpb` prints them: one GetFlowsResponse per line,
// `{"flow":{…},"node_name":…,"time":…}`, which the demo relay's `--replay`, `hubble observe
// --input-file` and our own capture reader take back. The envelope's node_name and time are the
// flow's own (what a relay sends for flows); like protojson, empty values are left out.
import type { JsonObject } from "@bufbuild/protobuf";

/** One GetFlowsResponse JSON object for a flow (the `flow` object of a jsonpb line). */
export function toGetFlowsResponseJson(flow: JsonObject): JsonObject {
  const out: JsonObject = { flow };
  if (typeof flow.node_name === "string" && flow.node_name !== "") out.node_name = flow.node_name;
  if (typeof flow.time === "string" && flow.time !== "") out.time = flow.time;
  return out;
}

/** One compact line, no trailing newline. */
export function toJsonpbLine(flow: JsonObject): string {
  return JSON.stringify(toGetFlowsResponseJson(flow));
}

/** Lines in the given order, each ending in "\n" (like the CLI); "" for no flows. */
export function toJsonpbLines(raws: readonly JsonObject[]): string {
  let out = "";
  for (const raw of raws) out += `${toJsonpbLine(raw)}\n`;
  return out;
}
