import "server-only";

// What the demo relay's Flow encoder (./fast-encode.ts) knows about each Flow field, planned once from the descriptor.

import { type DescField, type DescMessage, ScalarType } from "@bufbuild/protobuf";
import { TimestampSchema } from "@bufbuild/protobuf/wkt";
import { FlowSchema } from "@/proto/gen/flow/flow_pb";
import { tagBytes, WIRE_LEN, WIRE_VARINT } from "./fast-encode-writer";

const PRESENCE_IMPLICIT = 2;

/** A Flow field whose bytes are encoded once per value identity. */
export interface SplicedField {
  readonly localName: string;
  readonly number: number;
  readonly kind: "message" | "messages" | "strings";
  readonly schema: DescMessage | undefined;
  /** Encoded tag(s) + length(s) + payload(s), by value identity. */
  readonly cache: WeakMap<object, Uint8Array>;
}

/** A per-flow field written directly (implicit-presence scalars and enums, BoolValue). */
export interface ScalarField {
  readonly localName: string;
  readonly kind: "string" | "bool" | "uint32" | "int32" | "uint64" | "boolValue";
  readonly tag: Uint8Array;
}

export interface FlowPlan {
  readonly spliced: SplicedField[];
  readonly scalars: ScalarField[];
  /** Fields neither of the above: the flow takes the `toBinary` path when one is set. */
  readonly other: DescField[];
  readonly timeTag: Uint8Array;
}

const SCALAR_KINDS: Partial<Record<ScalarType, ScalarField["kind"]>> = {
  [ScalarType.STRING]: "string",
  [ScalarType.BOOL]: "bool",
  [ScalarType.UINT32]: "uint32",
  [ScalarType.INT32]: "int32",
  [ScalarType.UINT64]: "uint64",
};

function isWellKnown(m: DescMessage): boolean {
  return m.typeName.startsWith("google.protobuf.");
}

function planFlow(schema: DescMessage): FlowPlan {
  const plan: FlowPlan = { spliced: [], scalars: [], other: [], timeTag: tagBytes(schema.field.time.number, WIRE_LEN) };
  for (const f of schema.fields) {
    const spliced = (kind: SplicedField["kind"], sub: DescMessage | undefined) =>
      plan.spliced.push({ localName: f.localName, number: f.number, kind, schema: sub, cache: new WeakMap() });
    const scalar = (kind: ScalarField["kind"], wire: number) => plan.scalars.push({ localName: f.localName, kind, tag: tagBytes(f.number, wire) });
    if (f.oneof) {
      plan.other.push(f);
    } else if (f.localName === "time" && f.fieldKind === "message" && f.message.typeName === TimestampSchema.typeName) {
      // written by hand
    } else if (f.fieldKind === "message" && !f.delimitedEncoding && !isWellKnown(f.message)) {
      spliced("message", f.message);
    } else if (f.fieldKind === "message" && f.message.typeName === "google.protobuf.BoolValue") {
      scalar("boolValue", WIRE_LEN);
    } else if (f.fieldKind === "list" && f.listKind === "message" && !f.delimitedEncoding && !isWellKnown(f.message)) {
      spliced("messages", f.message);
    } else if (f.fieldKind === "list" && f.listKind === "scalar" && f.scalar === ScalarType.STRING) {
      spliced("strings", undefined);
    } else if (f.fieldKind === "enum" && f.presence === PRESENCE_IMPLICIT && f.enum.values[0]?.number === 0) {
      scalar("int32", WIRE_VARINT);
    } else if (f.fieldKind === "scalar" && f.presence === PRESENCE_IMPLICIT && !f.longAsString) {
      const kind = SCALAR_KINDS[f.scalar];
      if (kind) scalar(kind, kind === "string" ? WIRE_LEN : WIRE_VARINT);
      else plan.other.push(f);
    } else {
      plan.other.push(f);
    }
  }
  return plan;
}

export const FLOW = planFlow(FlowSchema);
