import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { translateSelector } from "./labels";
import { parseSelector } from "./selector";
import { passes } from "./testing";

const podLabels = ["k8s:app=reviews", "k8s:version=v2", "k8s:io.kubernetes.pod.namespace=bookinfo", "k8s:app.kubernetes.io/name=reviews", "container:team=blue", "k8s:replicas=3"];
const world = ["reserved:world"];
const cidrLabels = ["cidr:10.1.2.3/32", "reserved:world"];

describe("selector translation (source prefixes)", () => {
  const cases: Array<[string, string]> = [
    ["app=foo", "any.app=foo"],
    ["k8s:app=foo", "k8s.app=foo"],
    ["!k8s:app", "!k8s.app"],
    ["k8s:app in (a, b),env!=prod", "k8s.app in (a, b),any.env!=prod"],
    ["reserved:world", "reserved.world"],
    ["", ""],
  ];
  for (const [input, want] of cases) {
    it(`${JSON.stringify(input)} becomes ${JSON.stringify(want)}`, () => assert.equal(translateSelector(input), want));
  }
});

describe("Kubernetes selector grammar", () => {
  it("parses every operator", () => {
    const ops = parseSelector("a=1,b==2,c!=3,d in (x,y),e notin (z),f,!g,h>4,i<5").map((r) => r.operator);
    assert.deepEqual(ops, ["=", "==", "!=", "in", "notin", "exists", "!", "gt", "lt"]);
  });
  it("an empty value after = is allowed", () => assert.deepEqual(parseSelector("a=")[0].values, [""]));
  it("in () holds the empty value", () => assert.deepEqual(parseSelector("a in ()")[0].values, [""]));
  it("keywords are identifiers in value position", () => assert.deepEqual(parseSelector("a=in")[0].values, ["in"]));
  const bad = ["a in (b", "a in b", "=a", "a,", "a b", "a=(b)", "!a=b", "a>b", "a in (b c)"];
  for (const s of bad) it(`rejects ${JSON.stringify(s)}`, () => assert.throws(() => parseSelector(s)));
});

describe("label filters", () => {
  const cases: Array<{ name: string; labels: string[]; selector: string; want: boolean }> = [
    { name: "an unprefixed key matches any source", labels: podLabels, selector: "app=reviews", want: true },
    { name: "a k8s: key matches k8s labels", labels: podLabels, selector: "k8s:app=reviews", want: true },
    { name: "a source prefix restricts the source", labels: podLabels, selector: "k8s:team=blue", want: false },
    { name: "another source prefix matches its own labels", labels: podLabels, selector: "container:team=blue", want: true },
    { name: "== is equality", labels: podLabels, selector: "app==reviews", want: true },
    { name: "!= matches a different value", labels: podLabels, selector: "app!=ratings", want: true },
    { name: "!= matches a missing key", labels: podLabels, selector: "tier!=web", want: true },
    { name: "!= fails on the same value", labels: podLabels, selector: "app!=reviews", want: false },
    { name: "in matches one of the values", labels: podLabels, selector: "version in (v1, v2)", want: true },
    { name: "in fails on a missing key", labels: podLabels, selector: "tier in (web)", want: false },
    { name: "notin fails on a listed value", labels: podLabels, selector: "version notin (v2,v3)", want: false },
    { name: "notin matches a missing key", labels: podLabels, selector: "tier notin (web)", want: true },
    { name: "exists matches a present key", labels: podLabels, selector: "version", want: true },
    { name: "!key matches an absent key", labels: podLabels, selector: "!tier", want: true },
    { name: "!key fails on a present key", labels: podLabels, selector: "!k8s:app", want: false },
    { name: "comma is AND: both hold", labels: podLabels, selector: "app=reviews,version=v2", want: true },
    { name: "comma is AND: one fails", labels: podLabels, selector: "app=reviews,version=v1", want: false },
    { name: "dotted keys work", labels: podLabels, selector: "k8s:io.kubernetes.pod.namespace=bookinfo", want: true },
    { name: "keys with a DNS prefix work", labels: podLabels, selector: "app.kubernetes.io/name=reviews", want: true },
    { name: "gt compares integers", labels: podLabels, selector: "replicas>2", want: true },
    { name: "lt compares integers", labels: podLabels, selector: "replicas<3", want: false },
    { name: "gt on a non-integer label fails", labels: podLabels, selector: "app>1", want: false },
    { name: "reserved:world matches the world label", labels: world, selector: "reserved:world", want: true },
    { name: "an unprefixed world matches the reserved label", labels: world, selector: "world", want: true },
    { name: "reserved:world misses pods", labels: podLabels, selector: "reserved:world", want: false },
    { name: "the empty selector matches everything", labels: [], selector: "", want: true },
    { name: "a cidr key matches a contained CIDR label", labels: cidrLabels, selector: "cidr:10.0.0.0/8", want: true },
    { name: "a cidr key misses an outside CIDR label", labels: cidrLabels, selector: "cidr:192.168.0.0/16", want: false },
  ];
  for (const c of cases) {
    it(c.name, () => assert.equal(passes({ source: { labels: c.labels } }, { sourceLabel: [c.selector] }), c.want));
  }

  it("the first label with the key decides the value for an any-source lookup", () => {
    const labels = ["k8s:app=a", "container:app=b"];
    assert.equal(passes({ source: { labels } }, { sourceLabel: ["app=b"] }), false);
    assert.equal(passes({ source: { labels } }, { sourceLabel: ["container:app=b"] }), true);
  });

  it("selectors in one field are OR'ed", () => {
    assert.equal(passes({ source: { labels: podLabels } }, { sourceLabel: ["app=nope", "version=v2"] }), true);
  });

  it("destination_label looks at the destination", () => {
    const f = { destinationLabel: ["app=reviews"] };
    assert.equal(passes({ destination: { labels: podLabels } }, f), true);
    assert.equal(passes({ source: { labels: podLabels } }, f), false);
  });

  it("node_labels match the unprefixed node labels", () => {
    const nodeLabels = ["kubernetes.io/hostname=kind-worker", "topology.kubernetes.io/zone=a"];
    assert.equal(passes({ nodeLabels }, { nodeLabels: ["kubernetes.io/hostname=kind-worker"] }), true);
    assert.equal(passes({ nodeLabels }, { nodeLabels: ["topology.kubernetes.io/zone in (b, c)"] }), false);
    assert.equal(passes({ nodeLabels }, { nodeLabels: ["k8s:topology.kubernetes.io/zone=a"] }), false);
  });
});
