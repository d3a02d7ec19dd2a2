import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseNamespacedName } from "./pod";
import { passes, type FilterInit, type MatchCase } from "./testing";

const from = (namespace: string, podName: string) => ({ source: { namespace, podName } });
const to = (namespace: string, podName: string) => ({ destination: { namespace, podName } });

describe("[namespace/]name syntax", () => {
  const cases: Array<[string, string, string]> = [
    ["xwing", "default", "xwing"],
    ["kube-system/coredns-", "kube-system", "coredns-"],
    ["kube-system/", "kube-system", ""],
    ["/xwing", "", "xwing"],
    ["a/b/c", "a", "b"],
    ["", "", ""],
  ];
  for (const [text, namespace, prefix] of cases) {
    it(`${JSON.stringify(text)} is namespace ${JSON.stringify(namespace)}, prefix ${JSON.stringify(prefix)}`, () => {
      assert.deepEqual(parseNamespacedName(text), { namespace, prefix });
    });
  }
});

describe("pod and service filters", () => {
  const table: Array<{ filter: FilterInit; cases: MatchCase[] }> = [
    {
      filter: { sourcePod: ["xwing", "kube-system/coredns-"] },
      cases: [
        { name: "a bare name means the default namespace", flow: from("default", "xwing"), want: true },
        { name: "the name is a prefix", flow: from("default", "xwing-t-65b"), want: true },
        { name: "a bare name does not match another namespace", flow: from("kube-system", "xwing"), want: false },
        { name: "namespace/prefix matches", flow: from("kube-system", "coredns-12345"), want: true },
        { name: "the prefix must start the name", flow: from("kube-system", "-coredns-1"), want: false },
        { name: "source_pod ignores the destination", flow: to("default", "xwing"), want: false },
        { name: "an endpoint without namespace does not match a bare name", flow: from("", "xwing"), want: false },
        { name: "a flow without source never matches", flow: {}, want: false },
      ],
    },
    {
      filter: { destinationPod: ["kube-system/"] },
      cases: [
        { name: "ns/ matches the whole namespace", flow: to("kube-system", "anything"), want: true },
        { name: "ns/ does not match other namespaces", flow: to("default", "anything"), want: false },
      ],
    },
    {
      filter: { sourcePod: ["/xwing"] },
      cases: [
        { name: "/name matches in any namespace", flow: from("endor", "xwing-1"), want: true },
        { name: "/name still needs the prefix", flow: from("endor", "ywing"), want: false },
        { name: "/name matches an endpoint without namespace", flow: from("", "xwing"), want: true },
      ],
    },
    {
      filter: { sourceService: ["deathstar", "kube-system/kube-dns"] },
      cases: [
        { name: "source_service uses the same syntax", flow: { sourceService: { namespace: "default", name: "deathstar" } }, want: true },
        { name: "source_service with namespace", flow: { sourceService: { namespace: "kube-system", name: "kube-dns" } }, want: true },
        { name: "source_service misses", flow: { sourceService: { namespace: "default", name: "xwing" } }, want: false },
        { name: "source_service ignores destination_service", flow: { destinationService: { namespace: "default", name: "deathstar" } }, want: false },
      ],
    },
    {
      filter: { destinationService: ["/kube-"] },
      cases: [
        { name: "destination_service /prefix matches any namespace", flow: { destinationService: { namespace: "monitoring", name: "kube-prometheus" } }, want: true },
        { name: "destination_service /prefix misses other names", flow: { destinationService: { namespace: "default", name: "deathstar" } }, want: false },
      ],
    },
  ];
  for (const { filter, cases } of table) {
    for (const c of cases) it(c.name, () => assert.equal(passes(c.flow, filter), c.want));
  }
});
