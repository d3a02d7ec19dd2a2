// Reads and writes the JSON form of `hubble observe -o jsonpb` and of Hubble
// exporter files: one GetFlowsResponse per line, proto field names as keys,
// enums as names, 64-bit integers as strings, zero values left out.
//
// Pure and isomorphic: no Node I/O, safe in the browser and on the server.
//
// Why not plain `toJson`: protobuf-es writes fields in field-number order,
// Go's protojson in declaration order (`uuid` = 34 comes right after `time`).
// `orderLikeProtojson` restores the declaration order so our output is
// byte-identical to Hubble's, which keeps diffs and fixtures readable.

import { create, fromJson, toJson } from "@bufbuild/protobuf";
import type { DescMessage, JsonObject, JsonValue } from "@bufbuild/protobuf";
import { createRegistry } from "@bufbuild/protobuf";
import { FlowSchema, file_flow_flow } from "@/proto/gen/flow/flow_pb";
import type { Flow } from "@/proto/gen/flow/flow_pb";
import { GetFlowsResponseSchema, file_observer_observer } from "@/proto/gen/observer/observer_pb";
import type { GetFlowsResponse } from "@/proto/gen/observer/observer_pb";
import { file_relay_relay } from "@/proto/gen/relay/relay_pb";
import { boundFlowJson } from "./flow-model";

/** Resolves `google.protobuf.Any` payloads that carry Hubble's own types. */
const registry = createRegistry(file_flow_flow, file_relay_relay, file_observer_observer);

/** A line that is not a valid GetFlowsResponse (or bare Flow). */
export class FlowJsonError extends Error {
  constructor(
    message: string,
    /** 1-based line number, when the text came from a multi-line input. */
    readonly line?: number,
  ) {
    super(line === undefined ? message : `line ${line}: ${message}`);
    this.name = "FlowJsonError";
  }
}

// Keys that only a GetFlowsResponse envelope has (proto and lowerCamel names).
// `node_name` and `time` are not among them: a bare Flow has those too.
const ENVELOPE_KEYS = ["flow", "node_status", "nodeStatus", "lost_events", "lostEvents"];

function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Parses one JSON line into a GetFlowsResponse.
 *
 * Accepts proto names (`node_name`) and lowerCamel names (`nodeName`). Unknown
 * fields and unknown enum names are errors, so a schema drift shows up loudly.
 * A bare Flow (legacy `hubble observe -o json`, before hubble 0.11) is wrapped
 * in an envelope whose `node_name` and `time` are copied from the flow, which
 * is what a server would have sent.
 */
export function parseGetFlowsResponseJson(text: string): GetFlowsResponse {
  let json: JsonValue;
  try {
    json = JSON.parse(text) as JsonValue;
  } catch (err) {
    throw new FlowJsonError(`not valid JSON: ${describe(err)}`);
  }
  if (!isJsonObject(json)) {
    throw new FlowJsonError("expected a JSON object (a GetFlowsResponse or a Flow)");
  }
  if (ENVELOPE_KEYS.some((key) => key in json)) {
    try {
      return fromJson(GetFlowsResponseSchema, json, { ignoreUnknownFields: false, registry });
    } catch (err) {
      throw new FlowJsonError(`not a valid GetFlowsResponse: ${explain(GetFlowsResponseSchema, json, err)}`);
    }
  }
  let flow: Flow;
  try {
    flow = fromJson(FlowSchema, json, { ignoreUnknownFields: false, registry });
  } catch (err) {
    throw new FlowJsonError(`not a valid GetFlowsResponse or bare Flow: ${explain(FlowSchema, json, err)}`);
  }
  return create(GetFlowsResponseSchema, {
    responseTypes: { case: "flow", value: flow },
    nodeName: flow.nodeName,
    time: flow.time ? { ...flow.time } : undefined,
  });
}

// protobuf-es names the enum type but not the field ("cannot decode enum
// flow.Verdict"); with 40 enum-typed fields the path is what a user needs.
function explain(desc: DescMessage, json: JsonObject, err: unknown): string {
  const path = findUnknownEnumName(desc, json, desc.name === "Flow" ? "flow" : "");
  return path ? `${path}: ${describe(err)}` : describe(err);
}

function findUnknownEnumName(desc: DescMessage, json: JsonObject, prefix: string): string | undefined {
  for (const field of desc.fields) {
    const value = json[field.name] ?? json[field.jsonName];
    if (value === undefined || value === null) continue;
    const path = prefix ? `${prefix}.${field.name}` : field.name;
    const items = Array.isArray(value) ? value : [value];
    for (const item of items) {
      const enumDesc = field.enum;
      if (enumDesc && typeof item === "string" && !enumDesc.values.some((v) => v.name === item)) {
        return path;
      }
      const nested = field.message;
      if (nested && !nested.typeName.startsWith("google.protobuf.") && isJsonObject(item)) {
        const found = findUnknownEnumName(nested, item, path);
        if (found) return found;
      }
    }
  }
  return undefined;
}

/** One GetFlowsResponse as Hubble's JSON object (proto names, Go key order). */
export function getFlowsResponseToJsonObject(response: GetFlowsResponse): JsonObject {
  return toHubbleJson(GetFlowsResponseSchema, response);
}

/** One GetFlowsResponse as one compact JSON line (no trailing newline). */
export function getFlowsResponseToJson(response: GetFlowsResponse): string {
  return JSON.stringify(getFlowsResponseToJsonObject(response));
}

/** A Flow as Hubble's JSON object, e.g. for the legacy bare-flow form. */
export function flowToJsonObject(flow: Flow): JsonObject {
  return toHubbleJson(FlowSchema, flow);
}

/**
 * A Flow as the server sends it to browsers: Hubble's JSON object with every string and list cut
 * (`boundFlowJson`). The reference the server's wire transcoder (server/grpc/flow-json-transcoder.ts)
 * is held to, byte for byte, and what the server uses for a flow the transcoder declines.
 */
export function flowToBoundedJson(flow: Flow): JsonObject {
  return boundFlowJson(toHubbleJson(FlowSchema, flow)) as JsonObject;
}

function toHubbleJson<Desc extends DescMessage>(schema: Desc, message: Parameters<typeof toJson<Desc>>[1]): JsonObject {
  const json = toJson(schema, message, { useProtoFieldName: true, registry });
  // A message always encodes to an object; WKT schemas are never passed here.
  return orderLikeProtojson(schema, json as JsonObject);
}

/**
 * Rebuilds `json` with keys in declaration order, recursing into nested
 * messages. Well-known types have their own JSON forms and are left as is.
 */
function orderLikeProtojson(desc: DescMessage, json: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const field of desc.fields) {
    const key = field.name;
    if (!(key in json)) continue;
    const value = json[key];
    const nested = field.message;
    if (nested && !nested.typeName.startsWith("google.protobuf.") && field.fieldKind !== "map") {
      out[key] = Array.isArray(value)
        ? value.map((item) => (isJsonObject(item) ? orderLikeProtojson(nested, item) : item))
        : isJsonObject(value)
          ? orderLikeProtojson(nested, value)
          : value;
    } else {
      out[key] = value;
    }
  }
  // Anything we did not place (extensions, future keys) keeps its place at the end.
  for (const key of Object.keys(json)) {
    if (!(key in out)) out[key] = json[key];
  }
  return out;
}

/** The outcome for one non-blank line of a JSON-lines text. */
export type JsonLineResult =
  { readonly line: number; readonly ok: true; readonly response: GetFlowsResponse } | { readonly line: number; readonly ok: false; readonly error: string };

/**
 * Parses JSON-lines text (a capture, an exporter file, `hubble observe -o
 * jsonpb` output). Blank lines are skipped; a bad line is reported with its
 * 1-based line number and never stops the rest.
 */
export function* parseJsonLines(text: string): Generator<JsonLineResult> {
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i].endsWith("\r") ? lines[i].slice(0, -1) : lines[i];
    if (raw.trim() === "") continue;
    const line = i + 1;
    try {
      yield { line, ok: true, response: parseGetFlowsResponseJson(raw) };
    } catch (err) {
      yield { line, ok: false, error: describe(err) };
    }
  }
}
