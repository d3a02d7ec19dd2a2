import "server-only";
import { searchExpansion } from "../scenario/traffic";
import type { ConnectionGenerator, Exchange, Peer } from "./connection";
import type { PatternTemplate } from "./patterns";
import type { Topology } from "./topology";

// One "connection" of a pattern: pick the concrete client and server, do the DNS lookup
// that precedes it (resolveVia), then run the transport sequence with its L7 exchange.

const US = 1000;

/** Names kube-dns can answer: service FQDNs → cluster IP, declared world FQDNs → their IPs. */
export function buildResolver(topo: Topology): Map<string, { ips: string[]; ttl: number }> {
  const answers = new Map<string, { ips: string[]; ttl: number }>();
  for (const svc of topo.services.values()) answers.set(`${svc.name}.${svc.namespace}.svc.cluster.local`, { ips: [svc.clusterIp], ttl: 30 });
  for (const w of topo.scenario.entities.world) answers.set(w.fqdn, { ips: w.ips, ttl: 60 });
  answers.set("kubernetes.default.svc.cluster.local", { ips: ["10.96.0.1"], ttl: 30 });
  return answers;
}

export class PatternRunner {
  private readonly resolver: Map<string, { ips: string[]; ttl: number }>;

  constructor(private readonly g: ConnectionGenerator) {
    this.resolver = buildResolver(g.topo);
  }

  run(p: PatternTemplate, t0: number): void {
    const g = this.g;
    const rng = g.rng;
    const topo = g.topo;
    if (p.spec.protocol === "cilium-health") {
      const a = rng.int(0, topo.nodes.length - 1);
      const b = (a + rng.int(1, topo.nodes.length - 1)) % topo.nodes.length;
      g.tcp(p, t0, g.hostPeer(topo.nodes[a]), g.healthPeer(topo.nodes[b]), g.ephemeralPort(), undefined);
      return;
    }
    const server = this.serverPeer(p);
    const client = this.clientPeer(p, server);
    let t = t0;
    let names: string[] | undefined;
    if (p.lookup) {
      const done = this.lookup(p.lookup.via, t, client, p.lookup.name);
      if (done === undefined) return; // the lookup itself was dropped
      t = done + rng.int(40, 400) * US;
      if (p.to.kind === "world" && p.lookup.via.egress?.proxy) names = [p.to.fqdn];
    }
    switch (p.spec.protocol) {
      case "dns": {
        const q = p.dns!.queries.pick(rng);
        this.lookup(p, t, client, q.name, q.qtype);
        return;
      }
      case "http":
      case "grpc": {
        const host = p.http!.host(server.pod);
        g.tcp(p, t, client, server, g.ephemeralPort(), names, g.l7.http(p, host, names));
        return;
      }
      case "kafka":
        g.tcp(p, t, client, server, g.ephemeralPort(), names, g.l7.kafka(p));
        return;
      default:
        g.tcp(p, t, client, server, g.ephemeralPort(), names);
    }
  }

  /** Resolve `name` through DNS pattern `dns` (search-path NXDOMAIN first, sometimes). */
  private lookup(dns: PatternTemplate, t: number, client: Peer, name: string, qtype = "A"): number | undefined {
    const g = this.g;
    const server = this.serverPeer(dns);
    const clientNs = client.pod?.namespace;
    if (dns.dns && dns.dns.nxdomainShare > 0 && g.rng.chance(dns.dns.nxdomainShare)) {
      const expanded = searchExpansion(name, clientNs);
      t = g.udp(dns, t, client, server, this.answer(dns, expanded, qtype)) + g.rng.int(20, 200) * US;
    }
    const end = g.udp(dns, t, client, server, this.answer(dns, name, qtype));
    return dns.drop ? undefined : end;
  }

  private answer(dns: PatternTemplate, name: string, qtype: string): Exchange {
    const found = this.resolver.get(name);
    return this.g.l7.dns(dns, name, qtype, found?.ips, found?.ttl ?? 0);
  }

  private serverPeer(p: PatternTemplate): Peer {
    const g = this.g;
    switch (p.to.kind) {
      case "pod":
        return g.podPeer(g.rng.pick(p.toPods));
      case "world":
        return g.externalPeer(g.rng.pick(p.to.ips), g.topo.worldEp);
      case "kube-apiserver":
        return g.externalPeer(g.rng.pick(g.topo.scenario.entities.kubeApiserver.ips), g.topo.apiserverEp);
      default:
        throw new Error(`pattern ${p.spec.name}: ${p.to.kind} cannot be a destination`);
    }
  }

  private clientPeer(p: PatternTemplate, server: Peer): Peer {
    const g = this.g;
    const rng = g.rng;
    switch (p.from.kind) {
      case "pod":
        return g.podPeer(rng.pick(p.fromPods));
      case "host":
        return g.hostPeer(server.node!);
      case "remote-node": {
        const others = g.topo.nodes.filter((n) => n !== server.node);
        return g.hostPeer(rng.pick(others));
      }
      case "world":
        return g.externalPeer(rng.pick(p.from.ips), g.topo.worldEp);
      default:
        return g.externalPeer(rng.pick(g.topo.scenario.entities.kubeApiserver.ips), g.topo.apiserverEp);
    }
  }
}
