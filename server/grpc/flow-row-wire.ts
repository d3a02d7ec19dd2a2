import "server-only";

// A Flow's protobuf bytes → its FlowRow (lib/flow-model.ts) without JSON: exactly what
// `toFlowRow(JSON.parse(<the transcoder's bounded jsonpb>))` gives for the same flow, field for
// field, the bounds included (strings cut at MAX_TEXT, lists at MAX_LIST). The hub's hot path
// (server/hub/batch.ts `parsedFlow`): the JSON object graph of JSON.parse was most of the server's
// garbage at 20,000 flows/s. flow-row-wire.test.ts holds the two equal on every demo and capture
// flow and on hostile ones.
//
// What the JSON path does, here on the wire values: a zero scalar or enum is absent from the JSON
// (so "" or undefined in the row, as toFlowRow reads an absent key); an enum number without a name
// is a JSON number, which toFlowRow reads as absent too (auth_type apart, see `authTypeOf`); the
// deprecated `reply` counts only when true; a uint64 is read as Number of its decimal text.
//
// Anything the JSON path would read differently, or that only `fromBinary` decides, returns
// undefined and the caller takes the JSON path: a singular field or a oneof member repeated on the
// wire (protobuf merges or keeps the last), a declared field with another wire type (the
// transcoder's plans say which), groups, `google.protobuf.Any`, invalid UTF-8 in a string read,
// a time the JSON cannot write, truncated data. The answer is defined for bytes `fromBinary` accepts;
// the hub calls it only for flows the transcoder accepted.
//
// Cheap per flow: one cursor over the bytes (the transcoder's `WireReader`, with protobuf-es's
// varint semantics), no object per nested message but the row's own, an endpoint read once per
// distinct bytes (the endpoint cache below: a pod's labels come again flow after flow), other
// names through the shared name cache (wire-text.ts), the date of the last second remembered.
// Sharp edge: rows share frozen arrays (empty lists, an endpoint's labels); FlowRow's are readonly.

import type { DescEnum, DescMessage } from "@bufbuild/protobuf";
import {
  CiliumEventTypeSchema,
  DNSSchema,
  EndpointSchema,
  FlowSchema,
  HTTPSchema,
  IPSchema,
  KafkaSchema,
  Layer4Schema,
  Layer7Schema,
  PolicySchema,
  ServiceSchema,
  TCPFlagsSchema,
  WorkloadSchema,
} from "@/proto/gen/flow/flow_pb";
import { entityOf, type FlowEndpointView, type FlowL7View, type FlowRow, MAX_LIST, type PolicyRef, urlPath } from "@/lib/flow-model";
import { cutText, FLOW_PLAN, lastSecondPrefix, type MessagePlan, timestampJsonText } from "./flow-json-plan";
import { EMPTY, Unsupported, UNSUPPORTED, WireReader } from "./flow-json-wire";
import type { WireFlow } from "./raw-flows";
import { validTextOf } from "./wire-text";

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

const W_VARINT = 0;
const W_LEN = 2;

/** Enum number → its JSON name (as `toJson` writes it, cut as `boundFlowJson` cuts it). */
function enumNames(e: DescEnum): Map<number, string> {
  return new Map(e.values.map((v) => [v.number, cutText(v.name)]));
}

function fieldEnum(desc: DescMessage, name: string): Map<number, string> {
  const e = desc.fields.find((f) => f.name === name)?.enum;
  if (!e) throw new Error(`flow-row-wire: ${desc.typeName}.${name} is not an enum`);
  return enumNames(e);
}

const VERDICT = fieldEnum(FlowSchema, "verdict");
const AUTH_TYPE = fieldEnum(FlowSchema, "auth_type");
const FLOW_TYPE = fieldEnum(FlowSchema, "Type");
const DIRECTION = fieldEnum(FlowSchema, "traffic_direction");
const OBSERVATION_POINT = fieldEnum(FlowSchema, "trace_observation_point");
const DROP_REASON = fieldEnum(FlowSchema, "drop_reason_desc");
const L7_TYPE = fieldEnum(Layer7Schema, "type");
/** TCPFlags' field names by number; the JSON has the true ones in declaration order. */
const TCP_FLAGS = TCPFlagsSchema.fields.map((f) => ({ bit: 1 << f.number, name: f.name }));
if (TCPFlagsSchema.fields.some((f, i) => f.number !== i + 1)) throw new Error("flow-row-wire: TCPFlags fields out of order");

/** The JSON name of a non-zero enum number, "" for zero or a number without name (toFlowRow reads both as absent). */
function enumText(names: Map<number, string>, v: number): string {
  return v === 0 ? "" : (names.get(v) ?? "");
}

/** toFlowRow's `authTypeOf` on what the JSON holds: the name, or for a number without one the number. */
function authTypeOf(v: number): string {
  if (v === 0) return "";
  const name = AUTH_TYPE.get(v);
  if (name === undefined) return v > 0 ? String(v) : "";
  return name === "DISABLED" ? "" : name.slice(0, 40);
}

// The transcoder's plans of the message types read here: which wire type each declared field
// has, so that a field skipped here with another wire type (which `fromBinary` reads otherwise)
// declines as it declines the transcoder.
const plans = new Map<string, MessagePlan>();
(function collect(plan: MessagePlan) {
  if (plans.has(plan.typeName)) return;
  plans.set(plan.typeName, plan);
  for (const f of plan.fields) if (f.message) collect(f.message);
})(FLOW_PLAN);
function planOf(desc: DescMessage): MessagePlan {
  const plan = plans.get(desc.typeName);
  if (!plan) throw new Error(`flow-row-wire: no plan for ${desc.typeName}`);
  return plan;
}
const P_FLOW = planOf(FlowSchema);
const P_IP = planOf(IPSchema);
const P_L4 = planOf(Layer4Schema);
/** Layer4's oneof members by field number: their JSON key (`l4Protocol`) and plan. */
const L4_MEMBERS = new Map(Layer4Schema.fields.map((f) => [f.number, { name: f.name, plan: planOf(f.message!) }]));
const P_FLAGS = planOf(TCPFlagsSchema);
const P_ENDPOINT = planOf(EndpointSchema);
const P_WORKLOAD = planOf(WorkloadSchema);
const P_L7 = planOf(Layer7Schema);
const P_HTTP = planOf(HTTPSchema);
const P_DNS = planOf(DNSSchema);
const P_KAFKA = planOf(KafkaSchema);
const P_SERVICE = planOf(ServiceSchema);
const P_EVENT_TYPE = planOf(CiliumEventTypeSchema);
const P_POLICY = planOf(PolicySchema);

const NO_STRINGS: readonly string[] = Object.freeze([]);
const NO_POLICIES: readonly PolicyRef[] = Object.freeze([]);

/** An endpoint as read; ip, port, names and service are filled in from the flow's other fields. */
function emptyEndpoint(): Mutable<FlowEndpointView> {
  return {
    namespace: "",
    pod: "",
    workload: "",
    workloadKind: "",
    identity: 0,
    labels: NO_STRINGS,
    ip: "",
    port: undefined,
    names: NO_STRINGS,
    service: "",
    cluster: "",
    entity: undefined,
  };
}

// Endpoints read recently, by their message bytes: a pod's endpoint (labels and all) comes again
// flow after flow. A slot per hash, the newest endpoint wins it; bounded (ENDPOINT_SLOTS copies of
// at most CACHED_ENDPOINT_BYTES); a hit is a compare of the bytes instead of some 20 strings.
const ENDPOINT_SLOTS = 2048;
const CACHED_ENDPOINT_BYTES = 4096;
const endpointBytes: (Buffer | undefined)[] = new Array<Buffer | undefined>(ENDPOINT_SLOTS).fill(undefined);
const endpointValue: FlowEndpointView[] = new Array<FlowEndpointView>(ENDPOINT_SLOTS).fill(emptyEndpoint());

/** One reader's state; synchronous, so one module-wide instance serves every caller. */
class FlowRowReader extends WireReader {
  /** The date part of a whole second, remembered for the last second seen. */
  private readonly prefixOf = lastSecondPrefix();

  // The flow being read: what is not its own row object yet.
  private ipSource = "";
  private ipDestination = "";
  private encrypted = false;
  private l4Protocol = "";
  /** The L4 member's field 1 and 2 when they are numbers (ports; ICMP type and code; VRRP type), else 0. */
  private l4First = 0;
  private l4Second = 0;
  private tcpFlags: readonly string[] = NO_STRINGS;
  private eventType = 0;
  private eventSubType = 0;

  read(wire: Pick<WireFlow, "bytes" | "uuid" | "time">): FlowRow | undefined {
    try {
      this.buf = wire.bytes;
      this.p = 0;
      return this.flow(wire);
    } catch (err) {
      if (err instanceof Unsupported) return undefined;
      throw err;
    } finally {
      this.buf = EMPTY;
    }
  }

  /** A singular field's tag: throws for another wire type or a second occurrence; returns `seen` with its bit. */
  private one(seen: number, bit: number, wire: number, expected: number): number {
    if (wire !== expected || (seen & bit) !== 0) throw UNSUPPORTED;
    return seen | bit;
  }

  private expect(wire: number, expected: number): void {
    if (wire !== expected) throw UNSUPPORTED;
  }

  /** Skips a field not read here; declines one the plan declares with another wire type. */
  private skipField(plan: MessagePlan, field: number, wire: number, end: number): void {
    const index = (field < 64 ? plan.small[field] : (plan.large.get(field) ?? 0)) - 1;
    if (field === 0 || (index >= 0 && plan.fields[index].wire !== wire)) throw UNSUPPORTED;
    this.skip(wire, end);
  }

  /** The end of the length-delimited value at `p`, which starts at `p` afterwards. */
  private valueEnd(end: number): number {
    const len = this.varint32(end);
    const stop = this.p + len;
    if (stop > end) throw UNSUPPORTED;
    return stop;
  }

  private text(end: number): string {
    const stop = this.valueEnd(end);
    const t = validTextOf(this.buf, this.p, stop);
    if (t === undefined) throw UNSUPPORTED;
    this.p = stop;
    return t;
  }

  private bool(end: number): boolean {
    this.varint64(end);
    return this.lo !== 0 || this.hi !== 0;
  }

  /** A list item: appended while the list is shorter than MAX_LIST, as `boundFlowJson` cuts lists. */
  private listText(list: readonly string[], end: number): readonly string[] {
    if (list.length >= MAX_LIST) {
      this.skip(W_LEN, end);
      return list;
    }
    const t = this.text(end);
    if (list === NO_STRINGS) return [t];
    (list as string[]).push(t);
    return list;
  }

  private flow(wire: Pick<WireFlow, "bytes" | "uuid" | "time">): FlowRow {
    const end = this.buf.length;
    this.ipSource = "";
    this.ipDestination = "";
    this.encrypted = false;
    this.l4Protocol = "";
    this.l4First = 0;
    this.l4Second = 0;
    this.tcpFlags = NO_STRINGS;
    this.eventType = 0;
    this.eventSubType = 0;
    let seen = 0;
    let verdict = 0;
    let authType = 0;
    let flowType = 0;
    let direction = 0;
    let observationPoint = 0;
    let dropReason = 0;
    let policyMatchType = 0;
    let node = "";
    let summary = "";
    let reply = false;
    let isReply: boolean | undefined;
    let source = emptyEndpoint();
    let destination = emptyEndpoint();
    let sourceNames = NO_STRINGS;
    let destinationNames = NO_STRINGS;
    let sourceService = "";
    let destinationService = "";
    let l7: FlowL7View | undefined;
    let l7Type = "";
    let egressAllowed = NO_POLICIES;
    let ingressAllowed = NO_POLICIES;
    let egressDenied = NO_POLICIES;
    let ingressDenied = NO_POLICIES;
    while (this.p < end) {
      const tag = this.varint32(end);
      const field = tag >>> 3;
      const wt = tag & 7;
      switch (field) {
        case 1: // time: the wire record's
          seen = this.one(seen, 1 << 0, wt, W_LEN);
          this.skip(wt, end);
          break;
        case 2:
          seen = this.one(seen, 1 << 1, wt, W_VARINT);
          verdict = this.varint32(end) | 0;
          break;
        case 5:
          seen = this.one(seen, 1 << 2, wt, W_LEN);
          this.ip(this.valueEnd(end));
          break;
        case 6:
          seen = this.one(seen, 1 << 3, wt, W_LEN);
          this.l4(this.valueEnd(end));
          break;
        case 8:
          seen = this.one(seen, 1 << 4, wt, W_LEN);
          source = this.endpoint(this.valueEnd(end));
          break;
        case 9:
          seen = this.one(seen, 1 << 5, wt, W_LEN);
          destination = this.endpoint(this.valueEnd(end));
          break;
        case 10:
          seen = this.one(seen, 1 << 6, wt, W_VARINT);
          flowType = this.varint32(end) | 0;
          break;
        case 11:
          seen = this.one(seen, 1 << 7, wt, W_LEN);
          node = this.text(end);
          break;
        case 13:
          this.expect(wt, W_LEN);
          sourceNames = this.listText(sourceNames, end);
          break;
        case 14:
          this.expect(wt, W_LEN);
          destinationNames = this.listText(destinationNames, end);
          break;
        case 15: {
          seen = this.one(seen, 1 << 8, wt, W_LEN);
          const stop = this.valueEnd(end);
          l7 = this.l7(stop);
          l7Type = this.l7TypeRead;
          break;
        }
        case 16:
          seen = this.one(seen, 1 << 9, wt, W_VARINT);
          reply = this.bool(end);
          break;
        case 19:
          seen = this.one(seen, 1 << 10, wt, W_LEN);
          this.eventTypeOf(this.valueEnd(end));
          break;
        case 20:
          seen = this.one(seen, 1 << 11, wt, W_LEN);
          sourceService = this.service(this.valueEnd(end));
          break;
        case 21:
          seen = this.one(seen, 1 << 12, wt, W_LEN);
          destinationService = this.service(this.valueEnd(end));
          break;
        case 22:
          seen = this.one(seen, 1 << 13, wt, W_VARINT);
          direction = this.varint32(end) | 0;
          break;
        case 23:
          seen = this.one(seen, 1 << 14, wt, W_VARINT);
          policyMatchType = this.varint32(end);
          break;
        case 24:
          seen = this.one(seen, 1 << 15, wt, W_VARINT);
          observationPoint = this.varint32(end) | 0;
          break;
        case 25:
          seen = this.one(seen, 1 << 16, wt, W_VARINT);
          dropReason = this.varint32(end) | 0;
          break;
        case 26:
          seen = this.one(seen, 1 << 17, wt, W_LEN);
          isReply = this.boolValue(this.valueEnd(end));
          break;
        case 35:
          seen = this.one(seen, 1 << 18, wt, W_VARINT);
          authType = this.varint32(end) | 0;
          break;
        case 100000:
          seen = this.one(seen, 1 << 19, wt, W_LEN);
          summary = this.text(end);
          break;
        case 21001:
          this.expect(wt, W_LEN);
          egressAllowed = this.policy(egressAllowed, this.valueEnd(end));
          break;
        case 21002:
          this.expect(wt, W_LEN);
          ingressAllowed = this.policy(ingressAllowed, this.valueEnd(end));
          break;
        case 21004:
          this.expect(wt, W_LEN);
          egressDenied = this.policy(egressDenied, this.valueEnd(end));
          break;
        case 21005:
          this.expect(wt, W_LEN);
          ingressDenied = this.policy(ingressDenied, this.valueEnd(end));
          break;
        default:
          // uuid (34) among them: the wire record's. `extensions` (an Any) is declined by its plan.
          this.skipField(P_FLOW, field, wt, end);
      }
    }
    if (this.p !== end) throw UNSUPPORTED;

    const t = wire.time;
    if ((t === undefined) !== ((seen & 1) === 0)) throw UNSUPPORTED; // not this flow's wire record
    const time = t ? timestampJsonText(t.seconds, t.nanos, this.prefixOf) : "";
    if (time === undefined) throw UNSUPPORTED; // the JSON cannot write it (the transcoder declines it too)
    const tcp = this.l4Protocol === "TCP" || this.l4Protocol === "UDP" || this.l4Protocol === "SCTP";
    source.ip = this.ipSource;
    source.port = tcp && this.l4First !== 0 ? this.l4First : undefined;
    source.names = sourceNames;
    source.service = sourceService;
    destination.ip = this.ipDestination;
    destination.port = tcp && this.l4Second !== 0 ? this.l4Second : undefined;
    destination.names = destinationNames;
    destination.service = destinationService;
    const verdictName = enumText(VERDICT, verdict);
    const dropReasonName = enumText(DROP_REASON, dropReason);
    const directionName = enumText(DIRECTION, direction);
    const pointName = enumText(OBSERVATION_POINT, observationPoint);
    const row: FlowRow = {
      id: "",
      time,
      timeMs: t ? t.seconds * 1000 + Math.floor(t.nanos / 1e6) : 0,
      verdict: verdictName || "VERDICT_UNKNOWN",
      dropReason: dropReasonName,
      eventType: this.eventType,
      eventSubType: this.eventSubType,
      flowType: enumText(FLOW_TYPE, flowType),
      source,
      destination,
      l4Protocol: this.l4Protocol,
      tcpFlags: this.tcpFlags,
      l7,
      direction: directionName || "TRAFFIC_DIRECTION_UNKNOWN",
      isReply: isReply ?? (reply ? true : undefined),
      node,
      summary,
      traceObservationPoint: pointName,
      policyMatchType,
      encrypted: this.encrypted,
      authType: authTypeOf(authType),
      allowedBy: concat(ingressAllowed, egressAllowed),
      deniedBy: concat(ingressDenied, egressDenied),
    };
    (row as Mutable<FlowRow>).id =
      wire.uuid !== ""
        ? cutText(wire.uuid)
        : // lib/flow-model.ts `contentKey` on the same values (FLOW_KEY_FIELDS), in its order.
          `ck|${JSON.stringify([
            time,
            node,
            this.ipSource,
            this.ipDestination,
            this.l4Protocol,
            this.l4First !== 0 ? this.l4First : null,
            this.l4Second !== 0 ? this.l4Second : null,
            this.eventType !== 0 ? this.eventType : null,
            this.eventSubType !== 0 ? this.eventSubType : null,
            verdictName,
            dropReasonName,
            pointName,
            directionName,
            isReply ?? null,
            source.identity !== 0 ? source.identity : null,
            destination.identity !== 0 ? destination.identity : null,
            source.pod,
            destination.pod,
            l7Type,
            summary,
          ])}`;
    return row;
  }

  private ip(end: number): void {
    let seen = 0;
    while (this.p < end) {
      const tag = this.varint32(end);
      const field = tag >>> 3;
      const wt = tag & 7;
      if (field === 1) {
        seen = this.one(seen, 1, wt, W_LEN);
        this.ipSource = this.text(end);
      } else if (field === 2) {
        seen = this.one(seen, 2, wt, W_LEN);
        this.ipDestination = this.text(end);
      } else if (field === 4) {
        seen = this.one(seen, 4, wt, W_VARINT);
        this.encrypted = this.bool(end);
      } else this.skipField(P_IP, field, wt, end);
    }
  }

  /** Layer4: its one oneof member (a second one declines), with the numbers the row and the content key read. */
  private l4(end: number): void {
    let member = 0;
    while (this.p < end) {
      const tag = this.varint32(end);
      const field = tag >>> 3;
      const wt = tag & 7;
      const m = L4_MEMBERS.get(field);
      if (m === undefined) {
        this.skipField(P_L4, field, wt, end);
        continue;
      }
      this.expect(wt, W_LEN);
      if (member !== 0) throw UNSUPPORTED;
      member = field;
      this.l4Protocol = m.name;
      this.l4Member(m.name, m.plan, this.valueEnd(end));
    }
  }

  /**
   * The member's field 1 and 2 as the content key reads them (`source_port` ?? `type`,
   * `destination_port` ?? `code`): TCP, UDP and SCTP ports, ICMP type and code, VRRP's type
   * (its field 2 is `vrid`), IGMP's type (its field 2 a string); TCP's flags.
   */
  private l4Member(name: string, plan: MessagePlan, end: number): void {
    const secondIsNumber = name !== "VRRP" && name !== "IGMP";
    let seen = 0;
    while (this.p < end) {
      const tag = this.varint32(end);
      const field = tag >>> 3;
      const wt = tag & 7;
      if (field === 1) {
        seen = this.one(seen, 1, wt, W_VARINT);
        this.l4First = this.varint32(end);
      } else if (field === 2 && secondIsNumber) {
        seen = this.one(seen, 2, wt, W_VARINT);
        this.l4Second = this.varint32(end);
      } else if (field === 3 && name === "TCP") {
        seen = this.one(seen, 4, wt, W_LEN);
        this.tcpFlags = this.flags(this.valueEnd(end));
      } else this.skipField(plan, field, wt, end);
    }
  }

  private flags(end: number): readonly string[] {
    let seen = 0;
    let set = 0;
    while (this.p < end) {
      const tag = this.varint32(end);
      const field = tag >>> 3;
      const wt = tag & 7;
      if (field >= 1 && field <= TCP_FLAGS.length) {
        seen = this.one(seen, 1 << field, wt, W_VARINT);
        if (this.bool(end)) set |= 1 << field;
      } else this.skipField(P_FLAGS, field, wt, end);
    }
    if (set === 0) return NO_STRINGS;
    const out: string[] = [];
    for (const f of TCP_FLAGS) if ((set & f.bit) !== 0) out.push(f.name);
    return out;
  }

  /** The endpoint in [p, end): from the endpoint cache when these bytes were read recently. */
  private endpoint(end: number): Mutable<FlowEndpointView> {
    const b = this.buf;
    const start = this.p;
    const n = end - start;
    if (n > CACHED_ENDPOINT_BYTES) return this.readEndpoint(end);
    // FNV-1a of the length, the first bytes (ID, identity) and the last ones (pod, workload, cluster).
    let h = Math.imul(0x811c9dc5 ^ n, 0x01000193);
    for (let i = start; i < end && i < start + 8; i++) h = Math.imul(h ^ b[i], 0x01000193);
    for (let i = Math.max(start + 8, end - 56); i < end; i++) h = Math.imul(h ^ b[i], 0x01000193);
    const slot = (h >>> 0) & (ENDPOINT_SLOTS - 1);
    const cached = endpointBytes[slot];
    // Buffer#compare over a range: a native memcmp, no view made.
    if (cached !== undefined && cached.length === n && cached.compare(b, start, end) === 0) {
      this.p = end;
      return { ...endpointValue[slot] };
    }
    const ep = this.readEndpoint(end);
    endpointBytes[slot] = Buffer.from(b.subarray(start, end));
    endpointValue[slot] = { ...ep };
    return ep;
  }

  /** An endpoint's own fields (ip, port, names and service are the flow's), its labels frozen: rows share them. */
  private readEndpoint(end: number): Mutable<FlowEndpointView> {
    const ep = emptyEndpoint();
    let seen = 0;
    let workloads = 0;
    while (this.p < end) {
      const tag = this.varint32(end);
      const field = tag >>> 3;
      const wt = tag & 7;
      switch (field) {
        case 2:
          seen = this.one(seen, 1, wt, W_VARINT);
          ep.identity = this.varint32(end);
          break;
        case 3:
          seen = this.one(seen, 2, wt, W_LEN);
          ep.namespace = this.text(end);
          break;
        case 4:
          this.expect(wt, W_LEN);
          ep.labels = this.listText(ep.labels, end);
          break;
        case 5:
          seen = this.one(seen, 4, wt, W_LEN);
          ep.pod = this.text(end);
          break;
        case 6: {
          this.expect(wt, W_LEN);
          // Only the first workload names the endpoint.
          if (workloads++ === 0) this.workload(ep, this.valueEnd(end));
          else this.skip(wt, end);
          break;
        }
        case 7:
          seen = this.one(seen, 8, wt, W_LEN);
          ep.cluster = this.text(end);
          break;
        default:
          this.skipField(P_ENDPOINT, field, wt, end);
      }
    }
    Object.freeze(ep.labels);
    ep.entity = entityOf(ep.labels);
    return ep;
  }

  private workload(ep: Mutable<FlowEndpointView>, end: number): void {
    let seen = 0;
    while (this.p < end) {
      const tag = this.varint32(end);
      const field = tag >>> 3;
      const wt = tag & 7;
      if (field === 1) {
        seen = this.one(seen, 1, wt, W_LEN);
        ep.workload = this.text(end);
      } else if (field === 2) {
        seen = this.one(seen, 2, wt, W_LEN);
        ep.workloadKind = this.text(end);
      } else this.skipField(P_WORKLOAD, field, wt, end);
    }
  }

  /** Layer7's `type` JSON text ("" when zero or nameless), for the content key; set by `l7`. */
  private l7TypeRead = "";

  /** toFlowRow's `l7View`: undefined when the JSON object is empty (no type, no latency, no record). */
  private l7(end: number): FlowL7View | undefined {
    let seen = 0;
    let type = 0;
    let latency: number | undefined;
    let kind: 0 | 100 | 101 | 102 = 0;
    let recordEnd = 0;
    let recordStart = 0;
    while (this.p < end) {
      const tag = this.varint32(end);
      const field = tag >>> 3;
      const wt = tag & 7;
      if (field === 1) {
        seen = this.one(seen, 1, wt, W_VARINT);
        type = this.varint32(end) | 0;
      } else if (field === 2) {
        seen = this.one(seen, 2, wt, W_VARINT);
        this.varint64(end);
        // Number of the uint64's decimal text: the exact sum, rounded once, as Number() rounds it.
        latency = this.lo === 0 && this.hi === 0 ? undefined : (this.hi >>> 0) * 4294967296 + (this.lo >>> 0);
      } else if (field === 100 || field === 101 || field === 102) {
        this.expect(wt, W_LEN);
        if (kind !== 0) throw UNSUPPORTED; // a second oneof member: the last wins
        kind = field;
        recordEnd = this.valueEnd(end);
        recordStart = this.p;
        this.p = recordEnd;
      } else this.skipField(P_L7, field, wt, end);
    }
    const typeName = enumText(L7_TYPE, type);
    this.l7TypeRead = typeName;
    if (type === 0 && latency === undefined && kind === 0) return undefined; // "l7": {}
    const l7Type = typeName || "UNKNOWN_L7_TYPE";
    if (kind !== 0) {
      this.p = recordStart;
      const record = kind === 101 ? this.http(l7Type, latency, recordEnd) : kind === 100 ? this.dns(l7Type, latency, recordEnd) : this.kafka(l7Type, latency, recordEnd);
      this.p = end;
      return record;
    }
    return { kind: "unknown", type: l7Type, latencyNs: latency };
  }

  private http(type: string, latencyNs: number | undefined, end: number): FlowL7View {
    let seen = 0;
    let code: number | undefined;
    let method = "";
    let url = "";
    let protocol = "";
    while (this.p < end) {
      const tag = this.varint32(end);
      const field = tag >>> 3;
      const wt = tag & 7;
      if (field === 1) {
        seen = this.one(seen, 1, wt, W_VARINT);
        const v = this.varint32(end);
        code = v === 0 ? undefined : v;
      } else if (field === 2) {
        seen = this.one(seen, 2, wt, W_LEN);
        method = this.text(end);
      } else if (field === 3) {
        seen = this.one(seen, 4, wt, W_LEN);
        url = this.text(end);
      } else if (field === 4) {
        seen = this.one(seen, 8, wt, W_LEN);
        protocol = this.text(end);
      } else this.skipField(P_HTTP, field, wt, end);
    }
    return { kind: "http", type, latencyNs, httpMethod: method, httpUrl: url, httpPath: urlPath(url), httpCode: code, httpProtocol: protocol };
  }

  private dns(type: string, latencyNs: number | undefined, end: number): FlowL7View {
    let seen = 0;
    let query = "";
    let rcode = 0;
    let ips = NO_STRINGS;
    let qtypes = NO_STRINGS;
    while (this.p < end) {
      const tag = this.varint32(end);
      const field = tag >>> 3;
      const wt = tag & 7;
      if (field === 1) {
        seen = this.one(seen, 1, wt, W_LEN);
        query = this.text(end);
      } else if (field === 2) {
        this.expect(wt, W_LEN);
        ips = this.listText(ips, end);
      } else if (field === 6) {
        seen = this.one(seen, 2, wt, W_VARINT);
        rcode = this.varint32(end);
      } else if (field === 7) {
        this.expect(wt, W_LEN);
        qtypes = this.listText(qtypes, end);
      } else this.skipField(P_DNS, field, wt, end);
    }
    return { kind: "dns", type, latencyNs, dnsQuery: query, dnsRcode: rcode, dnsIps: ips, dnsQtypes: qtypes };
  }

  private kafka(type: string, latencyNs: number | undefined, end: number): FlowL7View {
    let seen = 0;
    let errorCode: number | undefined;
    let apiKey = "";
    let topic = "";
    while (this.p < end) {
      const tag = this.varint32(end);
      const field = tag >>> 3;
      const wt = tag & 7;
      if (field === 1) {
        seen = this.one(seen, 1, wt, W_VARINT);
        const v = this.varint32(end) | 0;
        errorCode = v === 0 ? undefined : v;
      } else if (field === 3) {
        seen = this.one(seen, 2, wt, W_LEN);
        apiKey = this.text(end);
      } else if (field === 5) {
        seen = this.one(seen, 4, wt, W_LEN);
        topic = this.text(end);
      } else this.skipField(P_KAFKA, field, wt, end);
    }
    return { kind: "kafka", type, latencyNs, kafkaTopic: topic, kafkaApiKey: apiKey, kafkaErrorCode: errorCode };
  }

  private eventTypeOf(end: number): void {
    let seen = 0;
    while (this.p < end) {
      const tag = this.varint32(end);
      const field = tag >>> 3;
      const wt = tag & 7;
      if (field === 1) {
        seen = this.one(seen, 1, wt, W_VARINT);
        this.eventType = this.varint32(end) | 0;
      } else if (field === 2) {
        seen = this.one(seen, 2, wt, W_VARINT);
        this.eventSubType = this.varint32(end) | 0;
      } else this.skipField(P_EVENT_TYPE, field, wt, end);
    }
  }

  /** "namespace/name" of a Service, "" without a name. */
  private service(end: number): string {
    let seen = 0;
    let name = "";
    let namespace = "";
    while (this.p < end) {
      const tag = this.varint32(end);
      const field = tag >>> 3;
      const wt = tag & 7;
      if (field === 1) {
        seen = this.one(seen, 1, wt, W_LEN);
        name = this.text(end);
      } else if (field === 2) {
        seen = this.one(seen, 2, wt, W_LEN);
        namespace = this.text(end);
      } else this.skipField(P_SERVICE, field, wt, end);
    }
    return name ? `${namespace}/${name}` : "";
  }

  /** google.protobuf.BoolValue as the transcoder reads it: its value field, the last one wins. */
  private boolValue(end: number): boolean {
    let value = false;
    while (this.p < end) {
      const tag = this.varint32(end);
      if (tag === 8) value = this.bool(end);
      else if (tag >>> 3 === 0 || tag >>> 3 === 1) throw UNSUPPORTED;
      else this.skip(tag & 7, end);
    }
    return value;
  }

  /** A Policy appended to its list while the list is shorter than MAX_LIST. */
  private policy(list: readonly PolicyRef[], end: number): readonly PolicyRef[] {
    if (list.length >= MAX_LIST) {
      this.p = end;
      return list;
    }
    let seen = 0;
    let name = "";
    let namespace = "";
    let kind = "";
    while (this.p < end) {
      const tag = this.varint32(end);
      const field = tag >>> 3;
      const wt = tag & 7;
      if (field === 1) {
        seen = this.one(seen, 1, wt, W_LEN);
        name = this.text(end);
      } else if (field === 2) {
        seen = this.one(seen, 2, wt, W_LEN);
        namespace = this.text(end);
      } else if (field === 5) {
        seen = this.one(seen, 4, wt, W_LEN);
        kind = this.text(end);
      } else this.skipField(P_POLICY, field, wt, end);
    }
    const ref: PolicyRef = { kind, namespace, name };
    if (list === NO_POLICIES) return [ref];
    (list as PolicyRef[]).push(ref);
    return list;
  }
}

function concat<T>(a: readonly T[], b: readonly T[]): readonly T[] {
  if (b.length === 0) return a;
  if (a.length === 0) return b;
  return [...a, ...b];
}

const reader = new FlowRowReader();

/**
 * The FlowRow of a Flow given as its wire record (bytes, and the uuid and time read from them), or
 * undefined where only the JSON path gives the exact answer (see the header).
 */
export function rowFromWire(wire: Pick<WireFlow, "bytes" | "uuid" | "time">): FlowRow | undefined {
  return reader.read(wire);
}
