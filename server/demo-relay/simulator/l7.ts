import "server-only";
import { create } from "@bufbuild/protobuf";
import { DNSSchema, HTTPHeaderSchema, HTTPSchema, KafkaSchema, type Layer7, Layer7Schema, L7FlowType, type Service } from "../../../proto/gen/flow/flow_pb";
import type { ConnectionGenerator, Exchange, Packet } from "./connection";
import { EVENT, FlowType, TrafficDirection, Verdict, eventType, tcpL4, udpL4 } from "./flows";
import type { PatternTemplate } from "./patterns";
import { uuidV4 } from "./prng";
import type { NodeInfo } from "./topology";

// L7 access-log records (event type 129) as the Envoy / DNS proxy reports them: a REQUEST
// from client to server, then a RESPONSE with endpoints swapped, is_reply true and latency.

const US = 1000;
const MS = 1_000_000;
const NXDOMAIN_TTL = 4294967295;

function header(key: string, value: string) {
  return create(HTTPHeaderSchema, { key, value });
}

export class L7Records {
  constructor(private readonly g: ConnectionGenerator) {}

  private record(t: number, node: NodeInfo, k: Packet, l7: Layer7, verdict: Verdict, dir: TrafficDirection, reply: boolean, summary: string, svc?: Service, names?: string[]) {
    const sport = k.l4.protocol.case === "TCP" || k.l4.protocol.case === "UDP" ? k.l4.protocol.value.sourcePort : 0;
    const dport = k.l4.protocol.case === "TCP" || k.l4.protocol.case === "UDP" ? k.l4.protocol.value.destinationPort : 0;
    const udp = k.l4.protocol.case === "UDP";
    // A response travels server → client: swap everything.
    const [src, dst, ip, sp, dp] = reply ? [k.dst, k.src, null, dport, sport] : [k.src, k.dst, k.ip, sport, dport];
    this.g.emit(t, node, {
      verdict,
      IP: ip ?? { ...k.ip, source: k.ip.destination, destination: k.ip.source },
      l4: udp ? udpL4(sp, dp) : tcpL4(sp, dp, undefined),
      source: src.view(node),
      destination: dst.view(node),
      Type: FlowType.L7,
      l7,
      isReply: reply,
      eventType: eventType(EVENT.L7),
      trafficDirection: dir,
      sourceService: reply ? svc : undefined,
      destinationService: reply ? undefined : svc,
      destinationNames: reply ? undefined : names,
      sourceNames: reply ? names : undefined,
      Summary: summary,
    });
  }

  /** HTTP/1.1 or gRPC request/response; an L7-denied request gets Envoy's 403 instead. */
  http(p: PatternTemplate, serverHost: string, names?: string[]): Exchange {
    const h = p.http!;
    const rng = this.g.rng;
    const denied = !!p.l7Deny;
    return (t, proxyNode, fwd, rtt) => {
      const req = h.sample(rng);
      const think = denied ? rng.int(150, 900) * US : Math.max(80 * US, Math.round(req.latencyNs));
      if (!proxyNode) return think;
      const dir = p.l7Deny === "egress" || (!p.l7Deny && p.egress?.proxy) ? TrafficDirection.EGRESS : TrafficDirection.INGRESS;
      const url = `http://${serverHost}${req.path}`;
      const requestId = uuidV4(rng);
      const grpc = h.protocol === "HTTP/2";
      const reqHeaders = grpc
        ? [header("Content-Type", "application/grpc"), header("Te", "trailers"), header("User-Agent", h.userAgent), header("X-Request-Id", requestId)]
        : [header("Accept", "*/*"), header("User-Agent", h.userAgent), header("X-Request-Id", requestId)];
      const request = create(Layer7Schema, {
        type: L7FlowType.REQUEST,
        record: { case: "http", value: create(HTTPSchema, { method: req.method, url, protocol: h.protocol, headers: reqHeaders }) },
      });
      this.record(t, proxyNode, fwd, request, denied ? Verdict.DROPPED : Verdict.FORWARDED, dir, false, `${h.protocol} ${req.method} ${url}`, p.service, names);
      const code = denied ? 403 : req.status;
      const latency = denied ? think : rtt + think;
      const respHeaders = denied
        ? [header("Content-Length", "15"), header("Content-Type", "text/plain"), header("X-Request-Id", requestId)]
        : [
            header("Content-Type", grpc ? "application/grpc" : "application/json"),
            header("X-Envoy-Upstream-Service-Time", String(Math.floor(latency / MS))),
            header("X-Request-Id", requestId),
          ];
      const response = create(Layer7Schema, {
        type: L7FlowType.RESPONSE,
        latencyNs: BigInt(Math.round(latency)),
        record: { case: "http", value: create(HTTPSchema, { code, method: req.method, url, protocol: h.protocol, headers: respHeaders }) },
      });
      const summary = `${h.protocol} ${code} ${Math.floor(latency / MS)}ms (${req.method} ${url})`;
      this.record(t + latency, proxyNode, fwd, response, Verdict.FORWARDED, dir, true, summary, p.service, names);
      return think;
    };
  }

  /** A DNS query through the DNS proxy (records only when the client's egress is proxied). */
  dns(p: PatternTemplate, query: string, qtype: string, ips: string[] | undefined, ttl: number): Exchange {
    const rng = this.g.rng;
    return (t, proxyNode, fwd, rtt) => {
      const think = (ips && ttl > 30 ? rng.int(2000, 25000) : rng.int(80, 600)) * US;
      if (!proxyNode) return think;
      const q = `${query}.`;
      const request = create(Layer7Schema, {
        type: L7FlowType.REQUEST,
        record: { case: "dns", value: create(DNSSchema, { query: q, observationSource: "proxy", qtypes: [qtype] }) },
      });
      this.record(t, proxyNode, fwd, request, Verdict.FORWARDED, TrafficDirection.EGRESS, false, `DNS Query ${q} ${qtype}`, p.service);
      const latency = rtt + think;
      const dns = ips
        ? create(DNSSchema, { query: q, ips, ttl, observationSource: "proxy", qtypes: [qtype], rrtypes: ips.map(() => qtype) })
        : create(DNSSchema, { query: q, ttl: NXDOMAIN_TTL, observationSource: "proxy", rcode: 3, qtypes: [qtype] });
      const response = create(Layer7Schema, { type: L7FlowType.RESPONSE, latencyNs: BigInt(latency), record: { case: "dns", value: dns } });
      const answer = ips ? `"${ips.join(",")}"` : "RCode: Non-Existent Domain";
      const summary = `DNS Answer ${answer} TTL: ${ips ? ttl : NXDOMAIN_TTL} (Proxy ${q} ${qtype})`;
      this.record(t + latency, proxyNode, fwd, response, Verdict.FORWARDED, TrafficDirection.EGRESS, true, summary, p.service);
      return think;
    };
  }

  /** One Kafka request/response on a proxied broker connection. */
  kafka(p: PatternTemplate): Exchange {
    const k = p.kafka!;
    const rng = this.g.rng;
    return (t, proxyNode, fwd, rtt) => {
      const apiKey = rng.pick(k.apiKeys);
      const topic = rng.pick(k.topics);
      const correlationId = rng.int(1, 2_000_000);
      const think = Math.max(100 * US, Math.round(k.latency(rng)));
      if (!proxyNode) return think;
      const dir = p.egress?.proxy ? TrafficDirection.EGRESS : TrafficDirection.INGRESS;
      const body = { apiVersion: k.apiVersion, apiKey, correlationId, topic };
      const request = create(Layer7Schema, { type: L7FlowType.REQUEST, record: { case: "kafka", value: create(KafkaSchema, body) } });
      this.record(t, proxyNode, fwd, request, Verdict.FORWARDED, dir, false, `Kafka request ${apiKey} correlation id ${correlationId} topic '${topic}'`, p.service);
      const latency = rtt + think;
      const response = create(Layer7Schema, {
        type: L7FlowType.RESPONSE,
        latencyNs: BigInt(latency),
        record: { case: "kafka", value: create(KafkaSchema, { ...body, errorCode: 0 }) },
      });
      const summary = `Kafka response ${apiKey} correlation id ${correlationId} topic '${topic}' return code 0`;
      this.record(t + latency, proxyNode, fwd, response, Verdict.FORWARDED, dir, true, summary, p.service);
      return think;
    };
  }
}
