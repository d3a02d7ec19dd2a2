import "server-only";

import { DropReason, FlowType, TrafficDirection, Verdict } from "@/proto/gen/flow/flow_pb";
import { entityOf, MAX_LIST, MAX_TEXT } from "@/lib/flow-model";
import type { EdgeKey, FlowRecord, KeepMode } from "./store";

// The recorder's hot path: a FlowRecord read straight from the Flow's protobuf bytes, touching
// only the fields the store needs (time, uuid, node, verdict, type, both endpoints, L4 ports,
// direction, reply, drop reason, L7 presence), with the same meaning the JSON path gives them
// (records.ts through lib/flow-model's toFlowRow; wire-record.test.ts holds the two equal on
// every demo flow). Anything unexpected returns undefined, and the caller takes the JSON path:
// a flow without uuid (its content key needs the JSON), a wire type other than the declared one,
// truncated data.

const utf8 = new TextDecoder();
const ROLLED_UP = new Set([Verdict.FORWARDED, Verdict.TRACED, Verdict.TRANSLATED, Verdict.REDIRECTED]);
const L4_NAMES: Record<number, string> = { 1: "TCP", 2: "UDP", 3: "ICMPv4", 4: "ICMPv6", 5: "SCTP", 6: "VRRP", 7: "IGMP" };

class Bad extends Error {}
const BAD = new Bad("wire-record: unsupported");

interface EndpointFields {
  namespace: string;
  pod: string;
  workload: string;
  identity: number;
  labels: string[];
}

class Reader {
  pos: number;
  constructor(
    readonly b: Uint8Array,
    start: number,
    readonly end: number,
  ) {
    this.pos = start;
  }

  varint(): number {
    let result = 0;
    for (let shift = 0; shift < 64; shift += 7) {
      if (this.pos >= this.end) throw BAD;
      const x = this.b[this.pos++];
      if (shift < 53) result += (x & 0x7f) * 2 ** shift;
      if ((x & 0x80) === 0) return result;
    }
    throw BAD;
  }

  /** The [start, end) of a length-delimited field's value. */
  len(): [number, number] {
    const n = this.varint();
    const start = this.pos;
    this.pos += n;
    if (this.pos > this.end) throw BAD;
    return [start, this.pos];
  }

  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 2) this.len();
    else if (wire === 1) this.pos += 8;
    else if (wire === 5) this.pos += 4;
    else throw BAD;
    if (this.pos > this.end) throw BAD;
  }

  text([s, e]: [number, number]): string {
    const t = utf8.decode(this.b.subarray(s, e));
    return t.length > MAX_TEXT ? `${t.slice(0, MAX_TEXT)}…` : t;
  }
}

function endpoint(b: Uint8Array, [s, e]: [number, number]): EndpointFields {
  const r = new Reader(b, s, e);
  const ep: EndpointFields = { namespace: "", pod: "", workload: "", identity: 0, labels: [] };
  let workloadSeen = false;
  while (r.pos < e) {
    const tag = r.varint();
    const field = Math.floor(tag / 8);
    const wire = tag & 7;
    if (field === 2 && wire === 0) ep.identity = r.varint() >>> 0;
    else if (field === 3 && wire === 2) ep.namespace = r.text(r.len());
    else if (field === 4 && wire === 2) {
      const label = r.text(r.len());
      if (ep.labels.length < MAX_LIST) ep.labels.push(label);
    } else if (field === 5 && wire === 2) ep.pod = r.text(r.len());
    else if (field === 6 && wire === 2) {
      const range = r.len();
      if (!workloadSeen) {
        workloadSeen = true;
        const w = new Reader(b, range[0], range[1]);
        while (w.pos < range[1]) {
          const t = w.varint();
          if (t === 10) ep.workload = w.text(w.len());
          else w.skip(t & 7);
        }
      }
    } else r.skip(wire);
  }
  return ep;
}

function endpointName(ep: EndpointFields, ip: string): string {
  if (ep.workload || ep.pod) return ep.workload || ep.pod;
  const entity = entityOf(ep.labels);
  return entity ? `reserved:${entity}` : ip;
}

/** The record of a Flow given as its protobuf bytes, or undefined (then use the JSON path). */
export function recordFromWire(flow: Uint8Array, envelopeNode: string, mode: KeepMode): FlowRecord | undefined {
  try {
    return read(flow, envelopeNode, mode);
  } catch (err) {
    if (err instanceof Bad) return undefined;
    throw err;
  }
}

function read(b: Uint8Array, envelopeNode: string, mode: KeepMode): FlowRecord | undefined {
  const r = new Reader(b, 0, b.length);
  let timeNs = 0n;
  let uuid = "";
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
  let src: EndpointFields = { namespace: "", pod: "", workload: "", identity: 0, labels: [] };
  let dst: EndpointFields = { ...src, labels: [] };
  let srcIp = "";
  let dstIp = "";
  while (r.pos < b.length) {
    const tag = r.varint();
    const field = Math.floor(tag / 8);
    const wire = tag & 7;
    switch (field) {
      case 1: {
        if (wire !== 2) throw BAD;
        const [s, e] = r.len();
        const t = new Reader(b, s, e);
        let seconds = 0;
        let nanos = 0;
        while (t.pos < e) {
          const tt = t.varint();
          if (tt === 8) seconds = t.varint();
          else if (tt === 16) nanos = t.varint();
          else t.skip(tt & 7);
        }
        timeNs = BigInt(seconds) * 1_000_000_000n + BigInt(nanos);
        break;
      }
      case 2:
        if (wire !== 0) throw BAD;
        verdict = r.varint();
        break;
      case 5: {
        if (wire !== 2) throw BAD;
        const [s, e] = r.len();
        const ip = new Reader(b, s, e);
        while (ip.pos < e) {
          const tt = ip.varint();
          if (tt === 10) srcIp = ip.text(ip.len());
          else if (tt === 18) dstIp = ip.text(ip.len());
          else ip.skip(tt & 7);
        }
        break;
      }
      case 6: {
        if (wire !== 2) throw BAD;
        const [s, e] = r.len();
        const l4 = new Reader(b, s, e);
        // A oneof: the last member on the wire is the one protobuf (and so the JSON) keeps.
        while (l4.pos < e) {
          const tt = l4.varint();
          const f = Math.floor(tt / 8);
          if ((tt & 7) !== 2) throw BAD;
          const range = l4.len();
          if (!L4_NAMES[f]) throw BAD;
          protocol = L4_NAMES[f];
          srcPort = 0;
          dstPort = 0;
          if (f === 1 || f === 2 || f === 5) {
            const p = new Reader(b, range[0], range[1]);
            while (p.pos < range[1]) {
              const pt = p.varint();
              if (pt === 8) srcPort = p.varint() >>> 0;
              else if (pt === 16) dstPort = p.varint() >>> 0;
              else p.skip(pt & 7);
            }
          }
        }
        break;
      }
      case 8:
        if (wire !== 2) throw BAD;
        src = endpoint(b, r.len());
        break;
      case 9:
        if (wire !== 2) throw BAD;
        dst = endpoint(b, r.len());
        break;
      case 10:
        if (wire !== 0) throw BAD;
        type = r.varint();
        break;
      case 11:
        if (wire !== 2) throw BAD;
        node = r.text(r.len());
        break;
      case 15: {
        if (wire !== 2) throw BAD;
        const [s, e] = r.len();
        l7 = e > s;
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
        const [s, e] = r.len();
        const w = new Reader(b, s, e);
        isReply = false;
        while (w.pos < e) {
          const tt = w.varint();
          if (tt === 8) isReply = w.varint() !== 0;
          else w.skip(tt & 7);
        }
        break;
      }
      case 34:
        if (wire !== 2) throw BAD;
        uuid = r.text(r.len());
        break;
      default:
        r.skip(wire);
    }
  }
  if (uuid === "") return undefined;
  if (isReply === undefined && deprecatedReply) isReply = true;

  const verdictName = Verdict[verdict] ?? "VERDICT_UNKNOWN";
  const flowType = type === 0 ? "" : (FlowType[type] ?? "");
  const srcView = { ep: src, ip: srcIp, port: srcPort };
  const dstView = { ep: dst, ip: dstIp, port: dstPort };
  const [from, to] = isReply === true ? [dstView, srcView] : [srcView, dstView];
  const edge: EdgeKey = {
    srcNamespace: from.ep.namespace,
    srcWorkload: endpointName(from.ep, from.ip),
    srcIdentity: from.ep.identity,
    dstNamespace: to.ep.namespace,
    dstWorkload: endpointName(to.ep, to.ip),
    dstIdentity: to.ep.identity,
    dstPort: to.port,
    protocol,
    verdict: verdictName,
    dropReason: verdictName === "DROPPED" && dropReason !== 0 ? (DropReason[dropReason] ?? "") : "",
    direction: direction === 0 ? "TRAFFIC_DIRECTION_UNKNOWN" : (TrafficDirection[direction] ?? "TRAFFIC_DIRECTION_UNKNOWN"),
    flowType,
  };
  const keep = mode === "all" || !(ROLLED_UP.has(verdict) && !l7 && flowType !== "L7");
  return { key: uuid.length > MAX_TEXT ? `${uuid.slice(0, MAX_TEXT)}…` : uuid, timeNs, node: node || envelopeNode, flow: b, keep, edge };
}
