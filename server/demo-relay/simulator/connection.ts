import "server-only";
import { create } from "@bufbuild/protobuf";
import type { Timestamp } from "@bufbuild/protobuf/wkt";
import {
  type Emitter,
  type Endpoint,
  type Ethernet,
  EthernetSchema,
  type FileInfo,
  FileInfoSchema,
  type IP,
  type Layer4,
  type NetworkInterface,
  NetworkInterfaceSchema,
  type Policy,
  type Service,
} from "../../../proto/gen/flow/flow_pb";
import type { GetFlowsResponse } from "../../../proto/gen/observer/observer_pb";
import {
  type AuthType,
  EVENT,
  type FlowParts,
  FlowType,
  TCP,
  TRACE_SUBTYPE,
  type TcpStep,
  TraceObservationPoint as OBS,
  TraceReason,
  TrafficDirection,
  Verdict,
  eventType,
  flowResponse,
  ipv4,
  makeFlow,
  tcpL4,
  udpL4,
} from "./flows";
import { L7Records } from "./l7";
import type { PatternTemplate } from "./patterns";
import { Prng, saltedUuidV4 } from "./prng";
import type { NodeInfo, PodInfo, Topology } from "./topology";

// Turns one connection of a pattern into the events Cilium would report, at the observation
// points and on the nodes where they happen. See ../scenarios/README.md for the sequences.

export type Sink = (t: number, response: GetFlowsResponse) => void;
export type Clock = (t: number) => Timestamp;

/** One side of a connection as the datapath sees it. */
export type Peer = {
  ip: string;
  /** Node the peer lives on (pods, hosts); undefined for world / kube-apiserver. */
  node?: NodeInfo;
  /** A Cilium endpoint (pod or health endpoint): has an lxc, policy and trace context. */
  isEndpoint: boolean;
  pod?: PodInfo;
  view: (node: NodeInfo) => Endpoint;
  ethOut?: Ethernet;
  ethIn?: Ethernet;
  lxc?: NetworkInterface;
};

// Enum values as module constants: cheaper than property reads through module bindings.
const FORWARDED = Verdict.FORWARDED;
const DROPPED = Verdict.DROPPED;
const AUDIT = Verdict.AUDIT;
const L3_L4 = FlowType.L3_L4;
const INGRESS = TrafficDirection.INGRESS;
const EGRESS = TrafficDirection.EGRESS;
const NO_DIRECTION = TrafficDirection.TRAFFIC_DIRECTION_UNKNOWN;
const TO_ENDPOINT = OBS.TO_ENDPOINT;
const TO_PROXY = OBS.TO_PROXY;
const TO_OVERLAY = OBS.TO_OVERLAY;
const TO_STACK = OBS.TO_STACK;
const NEW = TraceReason.NEW;
const ESTABLISHED = TraceReason.ESTABLISHED;
const REPLY = TraceReason.REPLY;
const TRACE_EVENT = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11].map((sub) => eventType(EVENT.TRACE, sub));
const VERDICT_EVENT = eventType(EVENT.POLICY_VERDICT);

const VXLAN = create(NetworkInterfaceSchema, { index: 5, name: "cilium_vxlan" });
const US = 1000;
const MS = 1_000_000;
const DROP_FILE = {
  ingress: create(FileInfoSchema, { name: "bpf_lxc.c", line: 2111 }),
  egress: create(FileInfoSchema, { name: "bpf_lxc.c", line: 1378 }),
} satisfies Record<string, FileInfo>;

type Packet = { src: Peer; dst: Peer; ip: IP; l4: Layer4; summary: string; reply: boolean; ipDecrypted?: IP };

/**
 * The L7 part of a connection: emits the proxy's request record at `t` on `proxyNode` (if the
 * traffic is proxied) and its response record `rtt` + think time later; returns the think time.
 */
export type Exchange = (t: number, proxyNode: NodeInfo | undefined, fwd: Packet, rtt: number) => number;

export class ConnectionGenerator {
  readonly l7: L7Records;
  private readonly podPeers = new WeakMap<PodInfo, Peer>();
  /** WireGuard or IPsec between nodes (the scenario's `encryption`). */
  private readonly encryption: boolean;

  constructor(
    readonly topo: Topology,
    private readonly emitter: Emitter,
    private readonly clock: Clock,
    private readonly sink: Sink,
    readonly rng: Prng,
    /** Mixed into flow uuids: per run, so restarts never repeat them (see saltedUuidV4). */
    private readonly uuidSalt: Prng = new Prng(0, 0x75756964),
  ) {
    this.l7 = new L7Records(this);
    this.encryption = topo.scenario.encryption !== "none";
  }

  /**
   * The IP of a packet as Hubble reports it at `obs` on `node`: pod traffic that came from another
   * node was encrypted on the way (WireGuard / IPsec) and is seen decrypted on delivery, which the
   * datapath marks in the trace reason (Hubble's IP.encrypted).
   */
  private ipAt(k: Packet, node: NodeInfo, obs: OBS): IP {
    if (!this.encryption || obs !== TO_ENDPOINT || !k.src.isEndpoint || !k.src.node || k.src.node === node) return k.ip;
    return (k.ipDecrypted ??= ipv4(k.ip.source, k.ip.destination, true));
  }

  /** Emit one flow on `node` at offset `t` (ns since the simulation epoch). */
  emit(t: number, node: NodeInfo, parts: FlowParts): void {
    this.sink(t, flowResponse(makeFlow(this.clock(t), saltedUuidV4(this.rng, this.uuidSalt), this.emitter, node.flowName, node.labels, parts)));
  }

  podPeer(pod: PodInfo): Peer {
    let p = this.podPeers.get(pod);
    if (!p) {
      p = {
        ip: pod.ip,
        node: pod.node,
        isEndpoint: true,
        pod,
        view: (n) => (n === pod.node ? pod.localEp : pod.remoteEp),
        ethOut: create(EthernetSchema, { source: pod.mac, destination: pod.lxcMac }),
        ethIn: create(EthernetSchema, { source: pod.lxcMac, destination: pod.mac }),
        lxc: create(NetworkInterfaceSchema, { index: pod.lxcIndex, name: pod.lxcName }),
      };
      this.podPeers.set(pod, p);
    }
    return p;
  }

  hostPeer(node: NodeInfo): Peer {
    return { ip: node.routerIp, node, isEndpoint: false, view: (n) => (n === node ? node.hostEp : node.remoteNodeEp) };
  }

  healthPeer(node: NodeInfo): Peer {
    const lxc = create(NetworkInterfaceSchema, { index: 7, name: "lxc_health" });
    return { ip: node.healthIp, node, isEndpoint: true, view: (n) => (n === node ? node.healthLocalEp : node.healthRemoteEp), lxc };
  }

  externalPeer(ip: string, ep: Endpoint): Peer {
    return { ip, isEndpoint: false, view: () => ep };
  }

  /** Source port a client picks for a new connection. */
  ephemeralPort(): number {
    return this.rng.int(32768, 60999);
  }

  oneWay(a: Peer, b: Peer): number {
    return a.node && b.node && a.node === b.node ? this.rng.int(15, 45) * US : this.rng.int(120, 420) * US;
  }

  /**
   * A TCP connection from client to server for pattern p, starting at t0. `exchange` emits the
   * request/response L7 records at the proxy (if any) and returns the server's think time.
   */
  tcp(p: PatternTemplate, t0: number, client: Peer, server: Peer, sport: number, names: string[] | undefined, exchange?: Exchange): number {
    const rng = this.rng;
    const dport = p.port;
    const fwdIp = ipv4(client.ip, server.ip);
    const revIp = ipv4(server.ip, client.ip);
    const cross = client.node !== server.node;
    const egressProxy = !!p.egress?.proxy;
    const ingressProxy = !!p.ingress?.proxy;
    const svc = p.service;
    // Both nodes report the same packet: build each (step, direction) once per connection.
    const packets = new Map<TcpStep, Packet>();
    const replies = new Map<TcpStep, Packet>();
    const pkt = (step: TcpStep, reply: boolean): Packet => {
      const cache = reply ? replies : packets;
      let k = cache.get(step);
      if (!k) {
        k = reply
          ? { src: server, dst: client, ip: revIp, l4: tcpL4(dport, sport, step.flags), summary: step.summary, reply }
          : { src: client, dst: server, ip: fwdIp, l4: tcpL4(sport, dport, step.flags), summary: step.summary, reply };
        cache.set(step, k);
      }
      return k;
    };

    const clientOut = (t: number, step: TcpStep, reason: TraceReason) => {
      if (!client.node) return;
      const obs = egressProxy ? TO_PROXY : !server.isEndpoint && !server.node ? TO_STACK : cross ? TO_OVERLAY : undefined;
      if (obs !== undefined) this.trace(t, client.node, pkt(step, false), obs, client.isEndpoint ? EGRESS : undefined, reason, svc, names);
    };
    const serverIn = (t: number, step: TcpStep, reason: TraceReason) => {
      if (server.isEndpoint) this.trace(t, server.node!, pkt(step, false), ingressProxy ? TO_PROXY : TO_ENDPOINT, INGRESS, reason, svc);
    };
    const serverOut = (t: number, step: TcpStep) => {
      if (!server.isEndpoint) return;
      const obs = cross && client.node ? TO_OVERLAY : !client.isEndpoint ? TO_STACK : undefined;
      if (obs !== undefined) this.trace(t, server.node!, pkt(step, true), obs, INGRESS, REPLY, svc);
    };
    const clientIn = (t: number, step: TcpStep) => {
      if (!client.node) return;
      if (client.isEndpoint) this.trace(t, client.node, pkt(step, true), TO_ENDPOINT, EGRESS, REPLY, svc, names);
      else if (cross) this.trace(t, client.node, pkt(step, true), TO_STACK, undefined, REPLY, svc);
    };

    const syn = pkt(TCP.SYN, false);
    if (p.drop) {
      // The SYN never gets through: the client retransmits after ~1 s and again ~2 s later.
      const attempts = [0, 1000 * MS + rng.int(0, 40) * MS, 3000 * MS + rng.int(0, 80) * MS];
      let last = t0;
      attempts.forEach((offset, i) => {
        let t = t0 + offset;
        if (client.isEndpoint && client.node) {
          if (p.egress && i === 0) this.verdict(t, client.node, syn, "egress", p.egress.verdict, p.egress.matchType, p.egress.allowedBy, svc, names, undefined, p.egress.authType);
          if (p.drop!.direction === "egress") {
            this.dropPair(t, client.node, syn, "egress", p, svc, names);
            last = t;
            return;
          }
        }
        clientOut(t, TCP.SYN, NEW);
        t += this.oneWay(client, server);
        if (server.isEndpoint) this.dropPair(t, server.node!, syn, "ingress", p, svc);
        last = t;
      });
      return last;
    }

    let t = t0;
    const audit = p.audit;
    if (p.egress && client.isEndpoint)
      this.verdict(t, client.node!, syn, "egress", p.egress.verdict, p.egress.matchType, p.egress.allowedBy, svc, names, undefined, p.egress.authType);
    if (audit?.direction === "egress" && client.isEndpoint) this.verdict(t, client.node!, syn, "egress", Verdict.AUDIT, audit.matchType, audit.deniedBy, svc, names);
    clientOut(t, TCP.SYN, NEW);
    t += this.oneWay(client, server);
    if (server.isEndpoint) {
      if (p.ingress) this.verdict(t, server.node!, syn, "ingress", p.ingress.verdict, p.ingress.matchType, p.ingress.allowedBy, svc, undefined, undefined, p.ingress.authType);
      if (audit?.direction === "ingress") this.verdict(t, server.node!, syn, "ingress", Verdict.AUDIT, audit.matchType, audit.deniedBy, svc);
    }
    serverIn(t, TCP.SYN, NEW);
    t += rng.int(20, 90) * US;
    serverOut(t, TCP.SYN_ACK);
    t += this.oneWay(client, server);
    clientIn(t, TCP.SYN_ACK);
    t += rng.int(10, 60) * US;
    clientOut(t, TCP.ACK, ESTABLISHED);
    const t1 = t + this.oneWay(client, server);
    serverIn(t1, TCP.ACK, ESTABLISHED);
    t = t1 + rng.int(5, 200) * US;
    clientOut(t, TCP.PSH, ESTABLISHED);
    const proxyNode = egressProxy ? client.node : ingressProxy ? server.node : undefined;
    const arrive = t + this.oneWay(client, server);
    serverIn(arrive, TCP.PSH, ESTABLISHED);
    const toProxy = arrive - t;
    const think = exchange
      ? egressProxy
        ? exchange(t + 30 * US, proxyNode, pkt(TCP.PSH, false), 2 * toProxy)
        : exchange(arrive + 20 * US, proxyNode, pkt(TCP.PSH, false), 40 * US)
      : rng.int(200, 4000) * US;
    t = arrive + think;
    serverOut(t, TCP.PSH);
    t += this.oneWay(client, server);
    clientIn(t, TCP.PSH);
    t += rng.int(100, 2000) * US;
    clientOut(t, TCP.FIN, ESTABLISHED);
    t += this.oneWay(client, server);
    serverIn(t, TCP.FIN, ESTABLISHED);
    t += rng.int(20, 80) * US;
    serverOut(t, TCP.FIN);
    t += this.oneWay(client, server);
    clientIn(t, TCP.FIN);
    return t;
  }

  /** One UDP DNS query/answer between client and server; returns the time the answer arrives. */
  udp(p: PatternTemplate, t0: number, client: Peer, server: Peer, exchange: Exchange): number {
    const sport = this.ephemeralPort();
    const fwd: Packet = { src: client, dst: server, ip: ipv4(client.ip, server.ip), l4: udpL4(sport, p.port), summary: "UDP", reply: false };
    const rev: Packet = { src: server, dst: client, ip: ipv4(server.ip, client.ip), l4: udpL4(p.port, sport), summary: "UDP", reply: true };
    const svc = p.service;
    const cross = client.node !== server.node;
    const proxy = !!p.egress?.proxy;
    let t = t0;
    if (client.isEndpoint && p.egress)
      this.verdict(t, client.node!, fwd, "egress", p.egress.verdict, p.egress.matchType, p.egress.allowedBy, svc, undefined, undefined, p.egress.authType);
    if (p.drop?.direction === "egress" && client.isEndpoint) {
      this.dropPair(t, client.node!, fwd, "egress", p, svc);
      return t;
    }
    if (client.node && (proxy || cross)) this.trace(t, client.node, fwd, proxy ? TO_PROXY : TO_OVERLAY, EGRESS, NEW, svc);
    const ow = this.oneWay(client, server);
    const proxyDelay = proxy ? this.rng.int(30, 120) * US : 0;
    t += proxyDelay + ow;
    if (server.isEndpoint) {
      if (p.ingress) this.verdict(t, server.node!, fwd, "ingress", p.ingress.verdict, p.ingress.matchType, p.ingress.allowedBy, svc, undefined, undefined, p.ingress.authType);
      if (p.drop) {
        this.dropPair(t, server.node!, fwd, "ingress", p, svc);
        return t;
      }
      this.trace(t, server.node!, fwd, TO_ENDPOINT, INGRESS, NEW, svc);
    }
    t += exchange(t0 + 15 * US, proxy ? client.node : undefined, fwd, 2 * (ow + proxyDelay));
    if (server.isEndpoint && cross) this.trace(t, server.node!, rev, TO_OVERLAY, INGRESS, REPLY, svc);
    t += ow + proxyDelay + (proxy ? 30 * US : 0);
    if (client.isEndpoint) this.trace(t, client.node!, rev, TO_ENDPOINT, EGRESS, REPLY, svc);
    return t;
  }

  private trace(t: number, node: NodeInfo, k: Packet, obs: OBS, dir: TrafficDirection | undefined, reason: TraceReason, svc?: Service, names?: string[]): void {
    this.emit(t, node, {
      verdict: FORWARDED,
      ethernet: obs === TO_ENDPOINT ? k.dst.ethIn : k.src.node === node ? k.src.ethOut : k.dst.ethIn,
      IP: this.ipAt(k, node, obs),
      l4: k.l4,
      source: k.src.view(node),
      destination: k.dst.view(node),
      Type: L3_L4,
      eventType: TRACE_EVENT[TRACE_SUBTYPE[obs]!],
      trafficDirection: dir ?? NO_DIRECTION,
      traceObservationPoint: obs,
      traceReason: dir === undefined ? undefined : reason,
      isReply: dir === undefined ? undefined : k.reply,
      interface: obs === TO_ENDPOINT ? k.dst.lxc : obs === TO_OVERLAY ? VXLAN : undefined,
      sourceService: k.reply ? svc : undefined,
      destinationService: k.reply ? undefined : svc,
      destinationNames: k.reply ? undefined : names,
      sourceNames: k.reply ? names : undefined,
      Summary: k.summary,
    });
  }

  verdict(
    t: number,
    node: NodeInfo,
    k: Packet,
    dir: "ingress" | "egress",
    verdict: Verdict,
    matchType: number,
    policies: Policy[],
    svc?: Service,
    names?: string[],
    dropReason?: number,
    authType?: AuthType,
  ): void {
    // An audited verdict names the policies that would have denied it, like a drop.
    const denied = verdict === DROPPED || verdict === AUDIT;
    this.emit(t, node, {
      verdict,
      dropReason,
      authType,
      ethernet: dir === "egress" ? k.src.ethOut : k.dst.ethIn,
      IP: k.ip,
      l4: k.l4,
      source: k.src.view(node),
      destination: k.dst.view(node),
      Type: L3_L4,
      eventType: VERDICT_EVENT,
      trafficDirection: dir === "egress" ? EGRESS : INGRESS,
      policyMatchType: matchType,
      // Cilium marks allowed verdicts (AUDIT too) as "not a reply" (first packet); dropped ones are unknown.
      isReply: verdict === DROPPED ? undefined : false,
      destinationService: svc,
      destinationNames: names,
      egressAllowedBy: !denied && dir === "egress" ? policies : undefined,
      ingressAllowedBy: !denied && dir === "ingress" ? policies : undefined,
      egressDeniedBy: denied && dir === "egress" ? policies : undefined,
      ingressDeniedBy: denied && dir === "ingress" ? policies : undefined,
      Summary: k.summary,
    });
  }

  /** A policy drop as Hubble shows it: a DROPPED policy verdict, then the drop notification. */
  private dropPair(t: number, node: NodeInfo, k: Packet, dir: "ingress" | "egress", p: PatternTemplate, svc?: Service, names?: string[]): void {
    const d = p.drop!;
    this.verdict(t, node, k, dir, DROPPED, d.matchType, d.deniedBy, svc, names, d.reason);
    this.emit(t + this.rng.int(2, 9) * US, node, {
      verdict: DROPPED,
      dropReason: d.reason,
      ethernet: dir === "egress" ? k.src.ethOut : k.dst.ethIn,
      IP: k.ip,
      l4: k.l4,
      source: k.src.view(node),
      destination: k.dst.view(node),
      Type: L3_L4,
      eventType: eventType(EVENT.DROP, d.reason),
      trafficDirection: dir === "egress" ? EGRESS : INGRESS,
      file: DROP_FILE[dir],
      destinationService: svc,
      destinationNames: names,
      Summary: k.summary,
    });
  }
}

export type { Packet };
