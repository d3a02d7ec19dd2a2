import { fromJson, toJson, type DescField, type DescMessage, type JsonObject, type MessageShape } from "@bufbuild/protobuf";

export class FieldMaskError extends Error {
  override name = "FieldMaskError";
}

/**
 * Checks field-mask paths (proto field names, dot-separated) against a message descriptor, the way
 * Hubble validates `GetFlowsRequest.field_mask` before it serves a request.
 */
export function validateFieldMask(schema: DescMessage, paths: readonly string[]): void {
  for (const path of paths) {
    let desc: DescMessage | undefined = schema;
    const segments = path.split(".");
    for (const [i, segment] of segments.entries()) {
      const field: DescField | undefined = desc?.fields.find((f) => f.name === segment);
      if (!desc || !field) {
        throw new FieldMaskError(`invalid fieldmask: proto: invalid path "${path}" for message "${schema.typeName}"`);
      }
      const last = i === segments.length - 1;
      if (!last && field.fieldKind !== "message") {
        throw new FieldMaskError(`invalid fieldmask: proto: invalid path "${path}" for message "${schema.typeName}"`);
      }
      desc = field.fieldKind === "message" ? field.message : undefined;
    }
  }
}

/**
 * A copy of `message` holding only the fields named by `paths`. Goes through the JSON form, which
 * costs more than reflection but keeps this small; masked requests are rare and bounded by the ring.
 */
export function applyFieldMask<Desc extends DescMessage>(schema: Desc, message: MessageShape<Desc>, paths: readonly string[]): MessageShape<Desc> {
  const full = toJson(schema, message, { useProtoFieldName: true }) as JsonObject;
  const picked: JsonObject = {};
  for (const path of paths) copyPath(full, picked, path.split("."));
  return fromJson(schema, picked);
}

function copyPath(from: JsonObject, to: JsonObject, segments: string[]): void {
  const [head, ...rest] = segments;
  if (!(head in from)) return;
  const value = from[head];
  if (rest.length === 0 || value === null || typeof value !== "object" || Array.isArray(value)) {
    to[head] = value;
    return;
  }
  const existing = to[head];
  const target: JsonObject = existing && typeof existing === "object" && !Array.isArray(existing) ? existing : {};
  to[head] = target;
  copyPath(value, target, rest);
}
