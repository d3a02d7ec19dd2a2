import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { JsonObject } from "@bufbuild/protobuf";
import { formatFilterEntry, parseFilterEntry } from "../filter-model/entry";
import { MAX_TEXT, boundFlowJson } from "../flow-model";
import { flowDetailSections, leafPaths, type DetailField, type Section, type SectionId } from "./sections";
import { assertSelects, captureFlows, entrySelects } from "./testing";

const flows = captureFlows();

function allFields(sections: readonly Section[]): { section: SectionId; field: DetailField }[] {
  return sections.flatMap((s) => s.fields.map((field) => ({ section: s.id, field })));
}

function field(raw: JsonObject, section: SectionId, label: string): DetailField {
  const f = flowDetailSections(raw)
    .find((s) => s.id === section)!
    .fields.find((x) => x.label === label);
  assert.ok(f, `${section} has a field "${label}"`);
  return f;
}

function firstFlow(needle: (raw: JsonObject) => boolean): JsonObject {
  const hit = flows.find((f) => needle(f.raw));
  assert.ok(hit, "a capture flow matching the needle");
  return hit.raw;
}

const json = (raw: JsonObject) => JSON.stringify(raw);

describe("every field of real capture flows is shown exactly once", { skip: flows.length === 0 && "captures not found" }, () => {
  it("reads the captures", () => assert.ok(flows.length >= 1000, `${flows.length} flows`));

  it("each JSON leaf belongs to exactly one field of one section, and fields show only real leaves", () => {
    for (const { file, line, raw } of flows) {
      const leaves = leafPaths(raw);
      const seen = new Map<string, string>();
      for (const { section, field } of allFields(flowDetailSections(raw))) {
        for (const p of field.paths) {
          assert.ok(!seen.has(p), `${file}:${line}: ${p} shown twice (${seen.get(p)} and ${section}/${field.label})`);
          seen.set(p, `${section}/${field.label}`);
        }
      }
      assert.deepEqual([...seen.keys()].sort(), [...leaves].sort(), `${file}:${line}`);
    }
  });

  it("the captures' fields all have a home: nothing lands in Other", () => {
    for (const { file, line, raw } of flows) {
      const other = flowDetailSections(raw).find((s) => s.id === "other")!;
      assert.deepEqual(
        other.fields.map((f) => f.label),
        [],
        `${file}:${line}`,
      );
    }
  });

  it("field keys are unique within a flow (React keys)", () => {
    for (const { raw } of flows.slice(0, 300)) {
      const keys = allFields(flowDetailSections(raw)).map((x) => x.field.key);
      assert.equal(new Set(keys).size, keys.length);
    }
  });
});

describe("filter entries from the drawer select the flow they came from", { skip: flows.length === 0 && "captures not found" }, () => {
  it("every offered entry reads back unchanged, selects its flow, and its negation excludes it", () => {
    let checked = 0;
    const cache = new Map<string, boolean>();
    for (const { file, line, raw } of flows) {
      for (const { field } of allFields(flowDetailSections(raw))) {
        if (!field.filter) continue;
        const text = formatFilterEntry(field.filter);
        assert.deepEqual(parseFilterEntry(text), field.filter, text);
        assert.deepEqual(field.exclude, { ...field.filter, negated: true });
        // Entries repeat across similar flows; the raw flow decides, so key on both.
        const key = `${text}\u0000${json(raw)}`;
        if (cache.has(key)) continue;
        cache.set(key, true);
        assertSelects(field.filter, raw, true, `${file}:${line}: ${field.label}: ${text}`);
        assertSelects(field.exclude!, raw, false, `${file}:${line}: ${field.label}: !${text}`);
        checked++;
      }
    }
    assert.ok(checked > 5000, `${checked} entries checked`);
  });

  it("an HTTP response offers method, status, literal path, URL, headers, pods, ports and more", () => {
    const raw = firstFlow((r) => json(r).includes('"code":503') && json(r).includes('"pod_name"'));
    const entries = allFields(flowDetailSections(raw))
      .map((x) => x.field.filter)
      .filter((e) => e !== undefined)
      .map(formatFilterEntry);
    for (const want of ["http-status=503", "protocol=http", "protocol=tcp", "type=l7", "verdict=FORWARDED"]) {
      assert.ok(entries.includes(want), `${want} in ${entries.join(" ")}`);
    }
    assert.ok(entries.some((e) => /^http-method=[A-Z]+$/.test(e)));
    assert.ok(entries.some((e) => e.startsWith("http-path=^/") && e.endsWith("$")));
    assert.ok(entries.some((e) => e.startsWith("http-header=")));
    assert.ok(entries.some((e) => /^(from|to):pod=[a-z0-9-]+\/[a-z0-9-]+$/.test(e)));
    assert.ok(entries.some((e) => /^(from|to):label=k8s:/.test(e)));
    assert.ok(entries.some((e) => /^from:port=\d+$/.test(e)));
    assert.ok(entries.some((e) => /^traffic-direction=(ingress|egress)$/.test(e)));
    assert.ok(entries.some((e) => e.startsWith("node=")));
  });

  it("the docs' default-deny drop offers drop-reason=POLICY_DENIED and the pods", () => {
    const raw = firstFlow((r) => r.drop_reason_desc === "POLICY_DENIED");
    assert.equal(formatFilterEntry(field(raw, "policy", "Drop reason").filter!), "drop-reason=POLICY_DENIED");
    assert.equal(formatFilterEntry(field(raw, "policy", "Drop reason").exclude!), "!drop-reason=POLICY_DENIED");
    assert.equal(formatFilterEntry(field(raw, "source", "Pod").filter!), "from:pod=default/xwing");
    assert.equal(formatFilterEntry(field(raw, "destination", "Pod").filter!), "to:pod=default/deathstar-7848d6c4d5-th9v2");
    assert.equal(formatFilterEntry(field(raw, "l4", "Destination port").filter!), "to:port=80");
    assert.equal(formatFilterEntry(field(raw, "l4", "TCP flags").filter!), "tcp-flags=SYN");
    assert.equal(formatFilterEntry(field(raw, "node", "Node").filter!), "node=kind-kind/kind-worker");
  });

  it("policy verdicts name their match type; trace events their observation point", () => {
    const pv = firstFlow((r) => r.policy_match_type === 3);
    assert.equal(field(pv, "policy", "Policy match type").value, "L4-Only (3)");
    assert.match(field(pv, "trace", "Event type").value, /^policy-verdict/);
    const toProxy = firstFlow((r) => (r.event_type as JsonObject | undefined)?.type === 4 && (r.event_type as JsonObject).sub_type === 1);
    assert.equal(field(toProxy, "trace", "Event type").value, "trace:to-proxy (4:1)");
    assert.equal(formatFilterEntry(field(toProxy, "trace", "Event type").filter!), "type=trace:to-proxy");
    const nx = firstFlow((r) => json(r).includes('"rcode":3'));
    assert.equal(field(nx, "l7", "DNS rcode").value, "NXDOMAIN (3)");
  });
});

describe("hostile flow text stays literal", () => {
  const script = "<script>alert(1)</script>";
  const hostile: JsonObject = {
    time: "2024-05-01T12:00:00.123456789Z",
    uuid: "0b9f7a52-1d2e-4d8c-9a3f-2b1c0d9e8f7a",
    verdict: "DROPPED",
    drop_reason_desc: "POLICY_DENIED",
    IP: { source: "10.0.0.1", destination: "10.0.0.2", ipVersion: "IPv4" },
    l4: { TCP: { source_port: 40000, destination_port: 8080 } },
    source: {
      identity: 1234,
      namespace: "shop",
      pod_name: `<img src=x onerror=alert(1)>`,
      labels: [`k8s:app=${script}`, "k8s:app.kubernetes.io/name=cart", "k8s:tier in (a,b)"],
      workloads: [{ name: "web/evil", kind: "Deployment" }, { name: "web/evil" }],
    },
    destination: { identity: 2, labels: ["reserved:world"] },
    destination_names: ["Evil.EXAMPLE.com", "api.example.com", "*.example.com"],
    Type: "L7",
    node_name: "Cluster/Node-1",
    node_labels: ["kubernetes.io/hostname=node-1", `x=${script}`],
    l7: {
      type: "REQUEST",
      http: {
        method: "G<E>T",
        url: "http://shop/a.b/(.*)?x=<script>#frag",
        protocol: "HTTP/1.1",
        headers: [
          { key: "x-evil", value: `${script}:"quoted"` },
          { key: "x:colon", value: "v" },
          { key: "x-space", value: " padded " },
        ],
      },
    },
    event_type: { type: 129 },
    traffic_direction: "EGRESS",
    Summary: script,
    egress_denied_by: [{ name: script, namespace: "shop", kind: "CiliumNetworkPolicy", labels: ["k8s:a=b"], revision: "7" }],
    brand_new_field: { nested: [script, 1] },
  };

  it("values are the flow's text, unchanged", () => {
    assert.equal(field(hostile, "source", "Pod").value, "<img src=x onerror=alert(1)>");
    assert.equal(field(hostile, "summary", "Summary").value, script);
    assert.equal(field(hostile, "l7", "HTTP URL").value, "http://shop/a.b/(.*)?x=<script>#frag");
    assert.equal(field(hostile, "l7", "Header x-evil").value, `${script}:"quoted"`);
    assert.match(field(hostile, "policy", "Egress denied by").value, /^CiliumNetworkPolicy shop\/<script>alert\(1\)<\/script> · revision 7 · labels: k8s:a=b$/);
    const other = flowDetailSections(hostile).find((s) => s.id === "other")!;
    assert.deepEqual(
      other.fields.map((f) => [f.label, f.value]),
      [
        ["brand_new_field.nested[0]", script],
        ["brand_new_field.nested[1]", "1"],
      ],
    );
  });

  it("offers no entry that would filter something else", () => {
    const entries = new Map(allFields(flowDetailSections(hostile)).map(({ field: f }) => [f.key, f.filter && formatFilterEntry(f.filter)]));
    assert.equal(entries.get("source.pod_name"), undefined, "a pod name with spaces is no pod filter");
    assert.equal(entries.get("source.labels[0]"), undefined, "a label with selector syntax");
    assert.equal(entries.get("source.labels[1]"), "from:label=k8s:app.kubernetes.io/name=cart");
    assert.equal(entries.get("source.labels[2]"), undefined);
    assert.equal(entries.get("source.workloads[0].kind"), "from:workload=Deployment/web/evil", "split at the first '/'");
    assert.equal(entries.get("source.workloads[1].name"), undefined, "a kindless name with a slash would read as kind/name");
    assert.equal(entries.get("destination_names[0]"), undefined, "upper-case names never match Hubble's lower-cased pattern");
    assert.equal(entries.get("destination_names[1]"), "to:fqdn=api.example.com");
    assert.equal(entries.get("destination_names[2]"), undefined, "a '*' would be a wildcard");
    assert.equal(entries.get("node_name"), undefined, "upper-case node names");
    assert.equal(entries.get("node_labels[1]"), undefined);
    assert.equal(entries.get("l7.http.method"), undefined);
    assert.equal(entries.get("l7.http.headers[1].key"), undefined, "a header name with ':'");
    assert.equal(entries.get("l7.http.headers[2].key"), undefined, "a value the filter bar would trim");
    assert.equal(entries.get("l7.http.headers[0].key"), `http-header=x-evil:${script}:"quoted"`);
    assert.equal(entries.get("destination.identity"), "to:identity=2");
    assert.equal(entries.get("drop_reason_desc"), "drop-reason=POLICY_DENIED");
  });

  it("http-path and http-url entries are escaped literals that match only this path", () => {
    const path = field(hostile, "l7", "HTTP path");
    assert.equal(path.value, "/a.b/(.*)");
    assert.equal(formatFilterEntry(path.filter!), "http-path=^/a\\.b/\\(\\.\\*\\)$");
    const url = field(hostile, "l7", "HTTP URL");
    assert.equal(formatFilterEntry(url.filter!), "http-url=^http://shop/a\\.b/\\(\\.\\*\\)\\?x=<script>#frag$");
    const other = { ...hostile, l7: { type: "REQUEST", http: { method: "GET", url: "http://shop/aXb/(.*)" } } };
    const longer = { ...hostile, l7: { type: "REQUEST", http: { method: "GET", url: "http://shop/a.b/(.*)/more" } } };
    assert.equal(entrySelects(path.filter!, other), false);
    assert.equal(entrySelects(path.filter!, longer), false);
    assert.equal(entrySelects(url.filter!, other), false);
  });

  it("every offered entry selects the hostile flow and its negation excludes it", () => {
    let n = 0;
    for (const { field: f } of allFields(flowDetailSections(hostile))) {
      if (!f.filter) continue;
      assertSelects(f.filter, hostile, true, formatFilterEntry(f.filter));
      assertSelects(f.exclude!, hostile, false, formatFilterEntry(f.exclude!));
      n++;
    }
    assert.ok(n >= 10, `${n} entries`);
  });

  it("long values are cut, and a cut value offers no filter", () => {
    const long = "/" + "a".repeat(5000);
    const raw = boundFlowJson({ ...hostile, l7: { type: "REQUEST", http: { method: "GET", url: `http://x${long}` } }, Summary: "s".repeat(9000) }) as JsonObject;
    const url = field(raw, "l7", "HTTP URL");
    assert.ok(url.value.length <= MAX_TEXT + 1);
    assert.equal(url.filter, undefined);
    assert.equal(field(raw, "l7", "HTTP path").filter, undefined);
    const unbounded = flowDetailSections({ Summary: "s".repeat(9000) });
    assert.equal(unbounded[0].fields[0].value.length, MAX_TEXT + 1);
  });

  it("an empty field-masked flow shows its empty objects", () => {
    const sections = flowDetailSections({ time: "2024-05-01T12:00:00Z", source: {}, l4: { ICMPv4: {} } });
    const fields = allFields(sections).map(({ section, field: f }) => [section, f.label, f.value, f.paths.join()]);
    assert.deepEqual(fields, [
      ["summary", "Time", "2024-05-01T12:00:00Z", "time"],
      ["source", "Endpoint", "{}", "source"],
      ["l4", "Protocol", "ICMPv4", "l4.ICMPv4"],
    ]);
  });
});

describe("the security fields of a flow are explained, not just shown", () => {
  // Shaped as the demo relay's shop scenario emits them (billing namespace, WireGuard between nodes).
  const audited: JsonObject = {
    verdict: "AUDIT",
    IP: { source: "10.244.2.49", destination: "10.244.1.43", ipVersion: "IPv4" },
    l4: { TCP: { source_port: 53427, destination_port: 8080, flags: { SYN: true } } },
    event_type: { type: 5 },
    traffic_direction: "INGRESS",
    policy_match_type: 1,
    ingress_denied_by: [{ name: "billing-api-deny-reports", namespace: "billing", kind: "CiliumNetworkPolicy", revision: "41" }],
  };
  const authenticated: JsonObject = { verdict: "FORWARDED", auth_type: "SPIRE", event_type: { type: 5 }, traffic_direction: "INGRESS" };
  const decrypted: JsonObject = {
    verdict: "FORWARDED",
    IP: { source: "10.244.3.10", destination: "10.244.0.11", ipVersion: "IPv4", encrypted: true },
    event_type: { type: 4 },
  };

  it("an AUDIT verdict says it would have been dropped, and its denied_by policies that they would have denied it", () => {
    assert.match(field(audited, "policy", "Verdict").value, /^AUDIT — .*policy audit mode.*would have dropped/);
    const by = field(audited, "policy", "Ingress would be denied by");
    assert.match(by.value, /billing\/billing-api-deny-reports/);
  });

  it("auth_type SPIRE says the rule requires mutual authentication", () => {
    assert.match(field(authenticated, "policy", "Auth type").value, /^SPIRE — .*mutual authentication.*authentication\.mode: required/);
  });

  it("IP.encrypted says the packet crossed nodes encrypted, and offers the encrypted filter", () => {
    const f = field(decrypted, "l4", "Encrypted");
    assert.match(f.value, /^yes — .*WireGuard or IPsec/);
    assert.equal(formatFilterEntry(f.filter!), "encrypted=true");
    assert.equal(formatFilterEntry(f.exclude!), "!encrypted=true");
    assertSelects(f.filter!, decrypted, true, "encrypted=true selects it");
    assertSelects(f.exclude!, decrypted, false, "!encrypted=true excludes it");
    assertSelects(f.filter!, audited, false, "a flow without IP.encrypted is not encrypted");
  });

  it("an unknown auth type from a newer Cilium is shown as it is", () => {
    assert.equal(field({ auth_type: "MAGIC" }, "policy", "Auth type").value, "MAGIC");
  });
});
