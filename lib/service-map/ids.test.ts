import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ServiceMapModel } from "./aggregate";
import { endpointText } from "../flow-details/display";
import { edgeIdOf, edgeIdText, idPart, MAX_ID_PART, nodeIdOf, nodeIdText, rowMatchesEdge, rowMatchesNode, selectionMatcher, workloadFromPodName } from "./ids";
import { diffRows } from "./row-diff";
import { entity, flow, pod, syntheticRows, world } from "./testing";

const frontend = pod("shop", "frontend");
const checkout = pod("shop", "checkout");

describe("rowMatchesNode / rowMatchesEdge: the table shows exactly the rows the map counted", () => {
  const request = flow({ source: frontend, destination: checkout, dport: 8080 });
  const reply = flow({ source: checkout, destination: frontend, dport: 8080, isReply: true });
  const other = flow({ source: frontend, destination: world(["api.stripe.com"]), dport: 443 });
  const edgeId = "wl:shop/frontend|wl:shop/checkout|8080/TCP";

  it("a node matches rows where it is source or destination", () => {
    assert.equal(rowMatchesNode(request, "wl:shop/checkout", "workload"), true);
    assert.equal(rowMatchesNode(reply, "wl:shop/checkout", "workload"), true);
    assert.equal(rowMatchesNode(other, "wl:shop/checkout", "workload"), false);
    assert.equal(rowMatchesNode(other, "world:api.stripe.com", "workload"), true);
    assert.equal(rowMatchesNode(request, `app:shop/checkout`, "app"), true);
    assert.equal(rowMatchesNode(request, `app:shop/checkout`, "workload"), false, "ids depend on the grouping");
  });

  it("an edge matches its requests and their replies, not other ports or directions", () => {
    assert.equal(rowMatchesEdge(request, edgeId, "workload"), true);
    assert.equal(rowMatchesEdge(reply, edgeId, "workload"), true);
    assert.equal(rowMatchesEdge(flow({ source: frontend, destination: checkout, dport: 9090 }), edgeId, "workload"), false);
    assert.equal(rowMatchesEdge(flow({ source: frontend, destination: checkout, dport: 8080, proto: "UDP" }), edgeId, "workload"), false);
    assert.equal(rowMatchesEdge(flow({ source: checkout, destination: frontend, dport: 8080 }), edgeId, "workload"), false);
    assert.equal(rowMatchesEdge(request, "garbage", "workload"), false);
  });

  it("the folded * edge matches every port of its pair", () => {
    assert.equal(rowMatchesEdge(flow({ source: frontend, destination: checkout, dport: 1234 }), "wl:shop/frontend|wl:shop/checkout|*/TCP", "workload"), true);
  });

  it("every edge of the model matches exactly the rows counted for it", () => {
    const rows = [...syntheticRows(2000, 20, 3), flow({ source: entity("host"), destination: frontend, proto: "ICMPv4" })];
    for (const grouping of ["workload", "app", "identity"] as const) {
      const m = new ServiceMapModel(grouping);
      m.add(rows);
      for (const e of m.snapshot().edges) {
        assert.equal(rows.filter((r) => rowMatchesEdge(r, e.id, grouping)).length, e.flows, `${grouping} ${e.id}`);
      }
      for (const n of m.snapshot().nodes) {
        const matched = rows.filter((r) => rowMatchesNode(r, n.id, grouping)).length;
        const selfRows = rows.filter((r) => edgeIdOf(r, grouping).startsWith(`${n.id}|${n.id}|`)).length;
        assert.equal(matched, n.flowsIn + n.flowsOut - selfRows, `${grouping} ${n.id}`);
      }
    }
  });

  it("selectionMatcher prefers the edge and is undefined without a selection", () => {
    assert.equal(selectionMatcher({}, "workload"), undefined);
    const m = selectionMatcher({ nodeId: "wl:shop/checkout", edgeId: "x|y|1/TCP" }, "workload")!;
    assert.equal(m(request), false);
  });
});

describe("idPart", () => {
  it("keeps Kubernetes names and FQDNs, encodes the rest, bounds the length with a hash", () => {
    assert.equal(idPart("api.stripe.com"), "api.stripe.com");
    assert.equal(idPart("a b|c"), "a%20b%7Cc");
    const a = idPart("x".repeat(500));
    const b = idPart(`${"x".repeat(499)}y`);
    assert.ok(a.length <= MAX_ID_PART);
    assert.notEqual(a, b);
  });
});

describe("diffRows: what the map feeds its model", () => {
  const rows = syntheticRows(10);
  it("new rows at the front and old rows cut from the end are a delta", () => {
    const prev = rows.slice(3, 10);
    const next = rows.slice(0, 8);
    const d = diffRows(prev, next);
    assert.equal(d.kind, "delta");
    if (d.kind !== "delta") return;
    assert.deepEqual(d.added, rows.slice(0, 3));
    assert.deepEqual(d.removed, rows.slice(8, 10));
  });
  it("the same list, or equal content, is same", () => {
    assert.equal(diffRows(rows, rows).kind, "same");
    assert.equal(diffRows(rows, [...rows]).kind, "same");
  });
  it("a late row merged into the middle is a delta of just that row", () => {
    const prev = [...rows.slice(0, 4), ...rows.slice(5, 9)];
    const next = [...rows.slice(0, 4), rows[4], ...rows.slice(5, 8)];
    const d = diffRows(prev, next);
    assert.equal(d.kind, "delta");
    if (d.kind !== "delta") return;
    assert.deepEqual(d.added, [rows[4]]);
    assert.deepEqual(d.removed, [rows[8]]);
  });
  it("a reordering of the same rows is same", () => {
    assert.equal(diffRows(rows, [rows[1], rows[0], ...rows.slice(2)]).kind, "same");
  });
  it("a mostly new list is a reset", () => {
    assert.equal(diffRows(rows.slice(0, 5), rows.slice(5)).kind, "reset");
    assert.equal(diffRows(rows, []).kind, "reset");
    assert.equal(diffRows([], rows).kind, "reset");
  });
});

describe("ids as people read them (the selection chip)", () => {
  const cases: [string, string][] = [
    ["wl:shop/cart", "shop/cart"],
    ["app:shop/cart", "shop/cart"],
    ["id:4242", "identity 4242"],
    ["world:api.stripe.com", "api.stripe.com"],
    ["entity:world", "world"],
    ["entity:host", "host"],
    ["wl:shop/a%7Cb", "shop/a|b"],
  ];
  for (const [id, text] of cases) it(`${id} → ${text}`, () => assert.equal(nodeIdText(id), text));
  it("edges name both ends and the port", () => {
    assert.equal(edgeIdText("wl:shop/frontend|wl:shop/cart|8080/TCP"), "shop/frontend → shop/cart 8080/TCP");
    assert.equal(edgeIdText("wl:a/b|entity:host|-/ICMPv4"), "a/b → host ICMPv4");
    assert.equal(edgeIdText("wl:a/b|wl:a/c|*/TCP"), "a/b → a/c other ports");
  });
});

describe("a node is named the way the table names its endpoint (flows without `workloads`)", () => {
  // As in the GKE capture (hubble-otel basic-sample, Cilium 1.10): pods known by name, labels and
  // identity only; node-local-dns has no app label. The table shows kube-system/node-local-dns-88zrp.
  const bare = (pod: string, identity: number, labels: string[]) =>
    ({
      namespace: "kube-system",
      pod,
      workload: "",
      workloadKind: "",
      identity,
      labels: [...labels, "k8s:io.kubernetes.pod.namespace=kube-system"],
      ip: "10.0.0.9",
      port: undefined,
      names: [],
      service: "",
      cluster: "",
      entity: undefined,
    }) as const;
  const nodeLocalDns = bare("node-local-dns-88zrp", 1563, ["k8s:io.cilium.k8s.policy.serviceaccount=node-local-dns", "k8s:k8s-app=node-local-dns"]);
  const nodeLocalDns2 = bare("node-local-dns-6jnx9", 1563, ["k8s:io.cilium.k8s.policy.serviceaccount=node-local-dns", "k8s:k8s-app=node-local-dns"]);
  const kubeDns = bare("kube-dns-b4f5c58c7-vnx5s", 796, ["k8s:k8s-app=kube-dns"]);
  const row = flow({ source: nodeLocalDns, destination: kubeDns, dport: 53, proto: "UDP" });

  it("the workload a pod's name tells", () => {
    const cases: [string, string][] = [
      ["node-local-dns-88zrp", "node-local-dns"],
      ["kube-dns-b4f5c58c7-vnx5s", "kube-dns"],
      ["coredns-558bd4d5db-w2m67", "coredns"],
      ["deathstar-7848d6c4d5-th9v2", "deathstar"],
      ["event-exporter-gke-67986489c8-svnrf", "event-exporter-gke"],
      ["postgres-0", "postgres"],
      ["web-12", "web"],
      ["xwing", "xwing"],
      // Not a generated suffix (vowels, 0, 1 and 3 are never in one): the pod's own name.
      ["my-pod-12345", "my-pod-12345"],
      ["api-backend", "api-backend"],
      ["cache-redis", "cache-redis"],
    ];
    for (const [pod, workload] of cases) assert.equal(workloadFromPodName(pod), workload, pod);
  });

  it("groups by workload: one node per DaemonSet or Deployment, named like its pods in the table", () => {
    assert.equal(nodeIdOf(nodeLocalDns, "workload"), "wl:kube-system/node-local-dns");
    assert.equal(nodeIdOf(nodeLocalDns2, "workload"), "wl:kube-system/node-local-dns");
    assert.equal(nodeIdOf(kubeDns, "workload"), "wl:kube-system/kube-dns");
    assert.equal(nodeIdOf(nodeLocalDns, "app"), "wl:kube-system/node-local-dns");
    assert.equal(nodeIdOf(nodeLocalDns, "identity"), "id:1563");
    // An app label still names the node in the app grouping; workloads from Hubble come first.
    assert.equal(nodeIdOf({ ...nodeLocalDns, labels: ["k8s:app=dns-cache"] }, "workload"), "app:kube-system/dns-cache");
    assert.equal(nodeIdOf({ ...nodeLocalDns, workload: "node-local-dns", workloadKind: "DaemonSet" }, "workload"), "wl:kube-system/node-local-dns");
    // Field-masked exports: a pod name and no identity at all.
    assert.equal(nodeIdOf({ ...nodeLocalDns, identity: 0, labels: [] }, "workload"), "wl:kube-system/node-local-dns");
  });

  it("the map's nodes carry the names the table shows (never 'identity 1563' for a named pod)", () => {
    for (const grouping of ["workload", "app", "identity"] as const) {
      const model = new ServiceMapModel(grouping);
      model.add([row, flow({ source: nodeLocalDns2, destination: kubeDns, dport: 53, proto: "UDP" })]);
      const labels = model
        .snapshot()
        .nodes.map((n) => n.label)
        .sort();
      assert.deepEqual(labels, ["kube-dns", "node-local-dns"], grouping);
      for (const n of model.snapshot().nodes) {
        assert.equal(n.namespace, "kube-system");
        assert.ok(endpointText(nodeLocalDns).startsWith(`${n.namespace}/`), "the table: namespace/pod");
      }
      const dns = model.snapshot().nodes.find((n) => n.label === "node-local-dns")!;
      assert.ok(endpointText(nodeLocalDns).startsWith(`kube-system/${dns.label}-`), `${grouping}: the table's pod is the map node's`);
      assert.equal(rowMatchesNode(row, dns.id, grouping), true, "selecting the node filters the table to its rows");
    }
  });
});
