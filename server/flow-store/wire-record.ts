import "server-only";

import { DropReason, FlowType, TrafficDirection, Verdict } from "@/proto/gen/flow/flow_pb";
import { entityOf, MAX_LIST, MAX_TEXT } from "@/lib/flow-model";
import { textOf } from "@/server/grpc/wire-text";
import type { WireFlow } from "@/server/grpc/raw-flows";
import type { EdgeKey, FlowRecord, KeepMode } from "./store";

// The recorder's hot path: a FlowRecord read straight from the Flow's protobuf bytes, touching
// only the fields the store needs (node, verdict, type, both endpoints, L4 ports, direction,
// reply, drop reason, L7 presence), with the same meaning the JSON path gives them (records.ts
// through lib/flow-model's toFlowRow; wire-record.test.ts holds the two equal on every demo flow).
// The uuid and time are the wire record's (server/grpc/raw-flows.ts read them already). Anything
// unexpected returns undefined, and the caller takes the JSON path: a flow without uuid (its
// content key needs the JSON), a wire type other than the declared one, truncated data.
//
// Cheap per flow (it runs for every flow the relay sends, 20,000/s on a real cluster): one cursor
// over the bytes, no object per nested message, names decoded through a small cache of recent
// ones (server/grpc/wire-text.ts: a cluster's namespaces, workloads and nodes repeat), and labels and IPs decoded only for
// an endpoint that has neither workload nor pod (they name it only then).

const ROLLED_UP = new Set([Verdict.FORWARDED, Verdict.TRACED, Verdict.TRANSLATED, Verdict.REDIRECTED]);
const L4_NAMES: Record<number, string> = { 1: "TCP", 2: "UDP", 3: "ICMPv4", 4: "ICMPv6", 5: "SCTP", 6: "VRRP", 7: "IGMP" };

class Bad extends Error {}
const BAD = new Bad("wire-record: unsupported");

/** One cursor over a Flow's bytes; a nested message narrows `end` (`enter`) and gives it back (`leave`). */
class Reader {
  pos = 0;
  end: number;
  constructor(readonly b: Uint8Array) {
    this.end = b.length;
  }

  varint(): number {
    if (this.pos >= this.end) throw BAD;
    const first = this.b[this.pos++];
    if (first < 0x80) return first;
    let result = first & 0x7f;
    for (let shift = 7; shift < 64; shift += 7) {
      if (this.pos >= this.end) throw BAD;
      const x = this.b[this.pos++];
      if (shift < 53) result += (x & 0x7f) * 2 ** shift;
      if ((x & 0x80) === 0) return result;
    }
    throw BAD;
  }

  /** Skips a length-delimited value and returns its start (its end is `pos`). */
  len(): number {
    const n = this.varint();
    const start = this.pos;
    this.pos += n;
    if (this.pos > this.end) throw BAD;
    return start;
  }

  /** Steps into a length-delimited value as a message; returns the end to `leave` with. */
  enter(): number {
    const n = this.varint();
    if (this.pos + n > this.end) throw BAD;
    const outer = this.end;
    this.end = this.pos + n;
    return outer;
  }

  leave(outer: number): void {
    this.end = outer;
  }

  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 2) this.len();
    else if (wire === 1) this.pos += 8;
    else if (wire === 5) this.pos += 4;
    else throw BAD;
    if (this.pos > this.end) throw BAD;
  }

  text(): string {
    const start = this.len();
    return textOf(this.b, start, this.pos);
  }
}

/** What names an endpoint; `start`/`end` span its message, read again for labels only when needed. */
interface EndpointFields {
  namespace: string;
  pod: string;
  workload: string;
  identity: number;
  start: number;
  end: number;
}

const NO_ENDPOINT: EndpointFields = { namespace: "", pod: "", workload: "", identity: 0, start: 0, end: 0 };

function endpoint(r: Reader): EndpointFields {
  const outer = r.enter();
  const ep: EndpointFields = { namespace: "", pod: "", workload: "", identity: 0, start: r.pos, end: r.end };
  let workloadSeen = false;
  while (r.pos < r.end) {
    const tag = r.varint();
    const field = Math.floor(tag / 8);
    const wire = tag & 7;
    if (field === 2 && wire === 0) ep.identity = r.varint() >>> 0;
    else if (field === 3 && wire === 2) ep.namespace = r.text();
    else if (field === 5 && wire === 2) ep.pod = r.text();
    else if (field === 6 && wire === 2 && !workloadSeen) {
      workloadSeen = true;
      const workloadEnd = r.enter();
      while (r.pos < r.end) {
        const t = r.varint();
        if (t === 10) ep.workload = r.text();
        else r.skip(t & 7);
      }
      r.leave(workloadEnd);
    } else r.skip(wire); // labels (4) among them: read again by `labelsOf` when they name the endpoint
  }
  r.leave(outer);
  return ep;
}

/** An endpoint's first MAX_LIST labels (its message was read once already: well formed). */
function labelsOf(b: Uint8Array, ep: EndpointFields): string[] {
  const r = new Reader(b);
  r.pos = ep.start;
  r.end = ep.end;
  const labels: string[] = [];
  while (r.pos < r.end) {
    const tag = r.varint();
    if (tag === 34) {
      const label = r.text();
      if (labels.length < MAX_LIST) labels.push(label);
    } else r.skip(tag & 7);
  }
  return labels;
}

/** The workload, else the pod, else the reserved entity (world, host, …), else the IP. */
function endpointName(b: Uint8Array, ep: EndpointFields, ipStart: number, ipEnd: number): string {
  if (ep.workload || ep.pod) return ep.workload || ep.pod;
  const entity = ep.end > ep.start ? entityOf(labelsOf(b, ep)) : undefined;
  return entity ? `reserved:${entity}` : textOf(b, ipStart, ipEnd);
}

/** The record of a Flow given as its wire record (bytes, uuid and time), or undefined (then use the JSON path). */
export function recordFromWire(wire: Pick<WireFlow, "bytes" | "uuid" | "time">, envelopeNode: string, mode: KeepMode): FlowRecord | undefined {
  try {
    return read(wire, envelopeNode, mode);
  } catch (err) {
    if (err instanceof Bad) return undefined;
    throw err;
  }
}

function read(wireFlow: Pick<WireFlow, "bytes" | "uuid" | "time">, envelopeNode: string, mode: KeepMode): FlowRecord | undefined {
  const b = wireFlow.bytes;
  const r = new Reader(b);
  let node = "";
  let verdict = 0;
  let type = 0;
  let direction = 0;
  let dropReason = 0;
  let isReply: boolean | undefined;
  let deprecatedReply = false;
  let l7 = false;
  let protocol = "";
  let dstPort = 0;
  let srcPort = 0;
  let src = NO_ENDPOINT;
  let dst = NO_ENDPOINT;
  // IPs as byte ranges: decoded only when one names an endpoint.
  let srcIpStart = 0;
  let srcIpEnd = 0;
  let dstIpStart = 0;
  let dstIpEnd = 0;
  while (r.pos < b.length) {
    const tag = r.varint();
    const field = Math.floor(tag / 8);
    const wire = tag & 7;
    switch (field) {
      case 1: // time: the wire record's
      case 34: // uuid: the wire record's
        if (wire !== 2) throw BAD;
        r.len();
        break;
      case 2:
        if (wire !== 0) throw BAD;
        verdict = r.varint();
        break;
      case 5: {
        if (wire !== 2) throw BAD;
        const outer = r.enter();
        while (r.pos < r.end) {
          const tt = r.varint();
          if (tt === 10) {
            srcIpStart = r.len();
            srcIpEnd = r.pos;
          } else if (tt === 18) {
            dstIpStart = r.len();
            dstIpEnd = r.pos;
          } else r.skip(tt & 7);
        }
        r.leave(outer);
        break;
      }
      case 6: {
        if (wire !== 2) throw BAD;
        const outer = r.enter();
        // A oneof: the last member on the wire is the one protobuf (and so the JSON) keeps.
        while (r.pos < r.end) {
          const tt = r.varint();
          const f = Math.floor(tt / 8);
          if ((tt & 7) !== 2) throw BAD;
          const member = r.enter();
          if (!L4_NAMES[f]) throw BAD;
          protocol = L4_NAMES[f];
          srcPort = 0;
          dstPort = 0;
          if (f === 1 || f === 2 || f === 5) {
            while (r.pos < r.end) {
              const pt = r.varint();
              if (pt === 8) srcPort = r.varint() >>> 0;
              else if (pt === 16) dstPort = r.varint() >>> 0;
              else r.skip(pt & 7);
            }
          } else r.pos = r.end;
          r.leave(member);
        }
        r.leave(outer);
        break;
      }
      case 8:
        if (wire !== 2) throw BAD;
        src = endpoint(r);
        break;
      case 9:
        if (wire !== 2) throw BAD;
        dst = endpoint(r);
        break;
      case 10:
        if (wire !== 0) throw BAD;
        type = r.varint();
        break;
      case 11:
        if (wire !== 2) throw BAD;
        node = r.text();
        break;
      case 15: {
        if (wire !== 2) throw BAD;
        const start = r.len();
        l7 = r.pos > start;
        break;
      }
      case 16:
        if (wire !== 0) throw BAD;
        deprecatedReply = r.varint() !== 0;
        break;
      case 22:
        if (wire !== 0) throw BAD;
        direction = r.varint();
        break;
      case 25:
        if (wire !== 0) throw BAD;
        dropReason = r.varint();
        break;
      case 26: {
        if (wire !== 2) throw BAD;
        const outer = r.enter();
        isReply = false;
        while (r.pos < r.end) {
          const tt = r.varint();
          if (tt === 8) isReply = r.varint() !== 0;
          else r.skip(tt & 7);
        }
        r.leave(outer);
        break;
      }
      default:
        r.skip(wire);
    }
  }
  const uuid = wireFlow.uuid;
  if (uuid === "") return undefined;
  if (isReply === undefined && deprecatedReply) isReply = true;

  const verdictName = Verdict[verdict] ?? "VERDICT_UNKNOWN";
  const flowType = type === 0 ? "" : (FlowType[type] ?? "");
  // Oriented as the connection was opened: a reply's destination is the client.
  const swap = isReply === true;
  const from = swap ? dst : src;
  const to = swap ? src : dst;
  const edge: EdgeKey = {
    srcNamespace: from.namespace,
    srcWorkload: swap ? endpointName(b, from, dstIpStart, dstIpEnd) : endpointName(b, from, srcIpStart, srcIpEnd),
    srcIdentity: from.identity,
    dstNamespace: to.namespace,
    dstWorkload: swap ? endpointName(b, to, srcIpStart, srcIpEnd) : endpointName(b, to, dstIpStart, dstIpEnd),
    dstIdentity: to.identity,
    dstPort: swap ? srcPort : dstPort,
    protocol,
    verdict: verdictName,
    dropReason: verdictName === "DROPPED" && dropReason !== 0 ? (DropReason[dropReason] ?? "") : "",
    direction: direction === 0 ? "TRAFFIC_DIRECTION_UNKNOWN" : (TrafficDirection[direction] ?? "TRAFFIC_DIRECTION_UNKNOWN"),
    flowType,
  };
  const time = wireFlow.time;
  const timeNs = time ? BigInt(time.seconds) * 1_000_000_000n + BigInt(time.nanos) : 0n;
  const keep = mode === "all" || !(ROLLED_UP.has(verdict) && !l7 && flowType !== "L7");
  return { key: uuid.length > MAX_TEXT ? `${uuid.slice(0, MAX_TEXT)}…` : uuid, timeNs, node: node || envelopeNode, flow: b, keep, edge };
}
