import "server-only";
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AuthType, type Flow, L7FlowType, TrafficDirection, Verdict } from "../../../proto/gen/flow/flow_pb";
import type { GetFlowsResponse } from "../../../proto/gen/observer/observer_pb";
import { loadScenario } from "../scenario/load";
import { type Scenario, policyRef } from "../scenario/schema";
import { ConnectionGenerator } from "./connection";
import { MATCH_TYPE_NUMBER, emitterFor, timestamp } from "./flows";
import { compilePatterns } from "./patterns";
import { Prng } from "./prng";
import { PatternRunner } from "./runner";
import { Topology } from "./topology";

// Runs single patterns through the generator and checks what Cilium would report for them.

type Timed = { t: number; flow: Flow };

function connections(scenario: Scenario, pattern: string, count: number, seed = 1): Timed[][] {
  const topo = new Topology(scenario);
  const patterns = compilePatterns(scenario, topo);
  const p = patterns.find((x) => x.spec.name === pattern);
  assert.ok(p, `no pattern ${pattern}`);
  let current: Timed[] = [];
  const sink = (t: number, r: GetFlowsResponse) => {
    if (r.responseTypes.case === "flow") current.push({ t, flow: r.responseTypes.value });
  };
  const gen = new ConnectionGenerator(topo, emitterFor("test"), () => timestamp(0n, 0), sink, new Prng(seed, 3));
  const runner = new PatternRunner(gen);
  const out: Timed[][] = [];
  for (let i = 0; i < count; i++) {
    current = [];
    runner.run(p, 0);
    out.push(current);
  }
  return out;
}

const isType = (f: Flow, type: number) => f.eventType?.type === type;
const names = (ps: { kind: string; namespace: string; name: string; labels: string[] }[]) =>
  ps
    .map((p) =>
      p.name ? policyRef({ kind: p.kind as never, namespace: p.namespace || undefined, name: p.name }) : p.labels[0].replace("reserved:io.cilium.policy.derived-from=", ""),
    )
    .sort();

describe("starwars", () => {
  const s = loadScenario("starwars");
  const deathstarNodes = new Set(new Topology(s).podsByWorkload.get("default/deathstar")!.map((p) => p.node.flowName));

  it("xwing → deathstar: default deny at ingress on the deathstar node, with SYN retransmits", () => {
    for (const conn of connections(s, "xwing-request-landing", 5)) {
      const verdicts = conn.filter((e) => isType(e.flow, 5));
      const drops = conn.filter((e) => isType(e.flow, 1));
      assert.equal(verdicts.length, 3, "one policy verdict per SYN (first + 2 retransmits)");
      assert.equal(drops.length, 3);
      for (const { flow } of verdicts) {
        assert.equal(flow.verdict, Verdict.DROPPED);
        assert.equal(flow.policyMatchType, 0);
        assert.equal(flow.ingressDeniedBy.length + flow.egressDeniedBy.length, 0, "default deny names no policy");
      }
      for (const { flow } of drops) {
        assert.equal(flow.eventType?.subType, 133);
        assert.equal(flow.dropReason, 133);
        assert.equal(flow.dropReasonDesc, 133);
        assert.equal(flow.trafficDirection, TrafficDirection.INGRESS);
        assert.ok(deathstarNodes.has(flow.nodeName));
        assert.equal(flow.destination?.podName.startsWith("deathstar-"), true);
        assert.ok(flow.destination!.ID > 0, "the deathstar is the local endpoint");
        assert.equal(flow.source?.podName, "xwing");
        assert.equal(flow.Summary, "TCP Flags: SYN");
        assert.equal(flow.isReply, undefined);
      }
      const gaps = drops.slice(1).map((d, i) => (d.t - drops[i].t) / 1e9);
      assert.ok(gaps[0] > 0.9 && gaps[0] < 1.2 && gaps[1] > 1.9 && gaps[1] < 2.2, `retransmit gaps ${gaps}`);
      assert.ok(!conn.some((e) => e.flow.l4?.protocol.case === "TCP" && e.flow.l4.protocol.value.flags?.ACK), "never established");
    }
  });

  it("tiefighter PUT /v1/exhaust-port: the proxy drops the request and answers 403", () => {
    for (const conn of connections(s, "tiefighter-exhaust-port", 5)) {
      const l7 = conn.filter((e) => isType(e.flow, 129) && e.flow.l7?.record.case === "http");
      assert.equal(l7.length, 2);
      const [req, resp] = l7.map((e) => e.flow);
      assert.equal(req.l7?.type, L7FlowType.REQUEST);
      assert.equal(req.verdict, Verdict.DROPPED);
      assert.equal(req.dropReasonDesc, 0);
      assert.equal(req.Summary, "HTTP/1.1 PUT http://deathstar.default.svc.cluster.local/v1/exhaust-port");
      assert.equal(resp.l7?.type, L7FlowType.RESPONSE);
      assert.equal(resp.verdict, Verdict.FORWARDED);
      assert.equal(resp.isReply, true);
      assert.equal(resp.source?.podName, req.destination?.podName);
      assert.equal(resp.l7?.record.case === "http" && resp.l7.record.value.code, 403);
      assert.equal(req.trafficDirection, TrafficDirection.INGRESS);
      const pv = conn.find((e) => isType(e.flow, 5))!.flow;
      assert.equal(pv.verdict, Verdict.REDIRECTED);
      assert.deepEqual(names(pv.ingressAllowedBy), ["CiliumNetworkPolicy/default/rule1"]);
    }
  });

  it("tiefighter POST /v1/request-landing: redirected to the proxy and answered 200", () => {
    const [conn] = connections(s, "tiefighter-request-landing", 1);
    const pv = conn.find((e) => isType(e.flow, 5))!.flow;
    assert.equal(pv.verdict, Verdict.REDIRECTED);
    assert.equal(pv.policyMatchType, 2);
    assert.equal(pv.ingressAllowedBy[0].labels[0], "k8s:io.cilium.k8s.policy.derived-from=CiliumNetworkPolicy");
    const resp = conn.find((e) => e.flow.l7?.type === L7FlowType.RESPONSE && e.flow.l7.record.case === "http")!.flow;
    assert.match(resp.Summary, /^HTTP\/1\.1 200 \d+ms \(POST http:\/\/deathstar\.default\.svc\.cluster\.local\/v1\/request-landing\)$/);
    const firstDns = conn.findIndex((e) => e.flow.l4?.protocol.case === "UDP" && e.flow.l4.protocol.value.destinationPort === 53);
    const firstSyn = conn.findIndex((e) => e.flow.Summary === "TCP Flags: SYN");
    assert.ok(firstDns >= 0 && firstDns < firstSyn, "a DNS lookup precedes the connection");
  });
});

describe("shop", () => {
  const s = loadScenario("shop");

  it("an explicit deny drops with 181 and names the policy on the verdict", () => {
    const [conn] = connections(s, "storefront-to-postgres", 1);
    const pv = conn.find((e) => isType(e.flow, 5))!.flow;
    assert.equal(pv.verdict, Verdict.DROPPED);
    assert.equal(pv.dropReasonDesc, 181);
    assert.deepEqual(names(pv.ingressDeniedBy), ["CiliumClusterwideNetworkPolicy/deny-frontend-to-data"]);
    assert.equal(pv.ingressDeniedBy[0].namespace, "");
    assert.equal(pv.ingressDeniedBy[0].kind, "CiliumClusterwideNetworkPolicy");
    const drop = conn.find((e) => isType(e.flow, 1))!.flow;
    assert.equal(drop.eventType?.subType, 181);
    assert.equal(drop.ingressDeniedBy.length, 0, "drop events never carry policy names");
  });

  it("a non-allowed FQDN is dropped on egress and carries the looked-up name", () => {
    const [conn] = connections(s, "payments-worker-to-sentry", 1);
    const dnsAnswer = conn.find((e) => e.flow.l7?.type === L7FlowType.RESPONSE && e.flow.l7.record.case === "dns");
    assert.ok(dnsAnswer, "the lookup went through the DNS proxy");
    const drop = conn.find((e) => isType(e.flow, 1))!.flow;
    assert.equal(drop.trafficDirection, TrafficDirection.EGRESS);
    assert.deepEqual(drop.destinationNames, ["o4504.ingest.sentry.io"]);
    assert.equal(drop.destination?.identity, 2);
  });

  it("NXDOMAIN answers carry rcode 3 and the max-uint32 TTL", () => {
    const all = connections(s, "payments-api-dns", 40).flat();
    const nx = all.filter((e) => e.flow.l7?.record.case === "dns" && e.flow.l7.record.value.rcode === 3);
    assert.ok(nx.length > 0);
    for (const { flow } of nx) {
      assert.equal(flow.l7?.record.case === "dns" && flow.l7.record.value.ttl, 4294967295);
      assert.match(flow.Summary, /^DNS Answer RCode: Non-Existent Domain TTL: 4294967295 \(Proxy .+\. A\)$/);
    }
  });

  for (const scenario of ["starwars", "shop"]) {
    it(`${scenario}: every pattern's emitted verdicts agree with its declared outcome`, () => {
      const sc = loadScenario(scenario);
      for (const t of sc.traffic) {
        const o = t.outcome;
        for (const all of connections(sc, t.name, 6, 7)) {
          // leave out the DNS lookup that precedes a resolveVia connection (its own pattern is checked too)
          const conn = t.protocol === "dns" ? all : all.filter((e) => e.flow.l4?.protocol.case !== "UDP");
          const pvs = conn.filter((e) => isType(e.flow, 5)).map((e) => e.flow);
          const drops = conn.filter((e) => isType(e.flow, 1)).map((e) => e.flow);
          const l7Dropped = conn.filter((e) => isType(e.flow, 129) && e.flow.verdict === Verdict.DROPPED);
          const at = `${t.name}`;
          for (const dir of ["egress", "ingress"] as const) {
            const allowed = pvs.filter((f) => f.verdict !== Verdict.DROPPED && f.verdict !== Verdict.AUDIT && f.trafficDirection === (dir === "egress" ? 2 : 1));
            const side = o[dir];
            if (!side) {
              // the only verdicts for an unenforced side are drops declared for it
              assert.equal(allowed.length, 0, `${at}: unexpected ${dir} verdict`);
              continue;
            }
            for (const f of allowed) {
              assert.equal(f.verdict, side.proxy ? Verdict.REDIRECTED : Verdict.FORWARDED, at);
              assert.deepEqual(names(dir === "egress" ? f.egressAllowedBy : f.ingressAllowedBy), [...side.allowedBy].sort(), at);
              assert.equal(f.authType, side.auth === "spire" ? AuthType.SPIRE : AuthType.DISABLED, `${at}: auth_type`);
            }
          }
          const audits = pvs.filter((f) => f.verdict === Verdict.AUDIT);
          if (o.result === "audit") {
            // One AUDIT verdict where the drop would be; it names the deny rule only for an audited deny rule.
            assert.equal(audits.length, 1, `${at}: AUDIT verdict`);
            const [f] = audits;
            const rule = o.wouldBe === "deny-rule";
            assert.equal(f.trafficDirection, o.direction === "egress" ? TrafficDirection.EGRESS : TrafficDirection.INGRESS, at);
            assert.deepEqual(names(o.direction === "egress" ? f.egressDeniedBy : f.ingressDeniedBy), rule ? [...o.policies].sort() : [], `${at}: denied_by`);
            assert.equal(f.policyMatchType, rule ? MATCH_TYPE_NUMBER[o.denyMatchType] : 0, `${at}: match type`);
            assert.equal(f.isReply, false, at);
            assert.ok(
              conn.some((e) => isType(e.flow, 4) && e.flow.traceObservationPoint === 101 && e.flow.isReply === false),
              `${at}: the audited traffic is delivered`,
            );
          } else {
            assert.equal(audits.length, 0, `${at}: unexpected AUDIT verdict`);
          }
          if (o.result === "default-deny" || o.result === "deny-rule") {
            const reason = o.result === "deny-rule" ? 181 : 133;
            assert.ok(drops.length > 0 && drops.every((d) => d.dropReason === reason), `${at}: drop reason`);
            const dir = o.direction === "egress" ? TrafficDirection.EGRESS : TrafficDirection.INGRESS;
            assert.ok(
              drops.every((d) => d.trafficDirection === dir),
              `${at}: drop direction`,
            );
            const denied = pvs.filter((f) => f.verdict === Verdict.DROPPED);
            for (const f of denied) {
              const by = names(o.direction === "egress" ? f.egressDeniedBy : f.ingressDeniedBy);
              assert.deepEqual(by, reason === 181 ? [...o.policies].sort() : [], `${at}: denied_by`);
            }
          } else {
            assert.equal(drops.length, 0, `${at}: unexpected drop`);
            assert.equal(pvs.filter((f) => f.verdict === Verdict.DROPPED).length, 0, `${at}: unexpected denied verdict`);
          }
          assert.equal(l7Dropped.length > 0, o.result === "l7-deny", `${at}: L7 denial`);
        }
      }
    });
  }
});

describe("transparent encryption (shop: WireGuard)", () => {
  const shop = loadScenario("shop");
  it("marks pod traffic delivered from another node as encrypted, and nothing else", () => {
    let encrypted = 0;
    let sameNodeOrHost = 0;
    for (const pattern of ["storefront-to-catalog", "checkout-to-payments-api", "invoice-worker-to-billing-api", "kubelet-probe-storefront", "health"]) {
      if (!shop.traffic.some((t) => t.name === pattern)) continue;
      for (const conn of connections(shop, pattern, 12, 5)) {
        for (const { flow: f } of conn) {
          const fromPodElsewhere =
            isType(f, 4) && f.traceObservationPoint === 101 && !!f.source?.podName && f.source.ID === 0 && !f.source.labels.some((l) => l.startsWith("reserved:"));
          assert.equal(f.IP?.encrypted ?? false, fromPodElsewhere, `${pattern}: ${f.Summary} at ${f.nodeName} obs ${f.traceObservationPoint}`);
          if (fromPodElsewhere) encrypted++;
          else sameNodeOrHost++;
        }
      }
    }
    assert.ok(encrypted > 0 && sameNodeOrHost > 0, `${encrypted} encrypted, ${sameNodeOrHost} not`);
  });

  it("leaves a scenario without encryption unencrypted", () => {
    const starwars = loadScenario("starwars");
    for (const t of starwars.traffic) for (const conn of connections(starwars, t.name, 2)) for (const { flow } of conn) assert.equal(flow.IP?.encrypted ?? false, false);
  });
});
