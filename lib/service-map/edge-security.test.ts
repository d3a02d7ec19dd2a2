import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { FlowRow } from "../flow-model";
import { ServiceMapModel } from "./aggregate";
import { collapseNamespaces } from "./collapse";
import { edgeSecurity, edgeSecurityText } from "./edge-security";
import { mapSignature } from "./signature";
import { applyMapFrame, mapFrame } from "./wire";
import { flow, pod } from "./testing";

const api = pod("billing", "billing-api");
const db = pod("billing", "billing-db");
const web = pod("shop", "web");

// The shop scenario's billing namespace: a SYN's policy verdict at the server carries auth_type
// SPIRE; trace events of packets from another node carry IP.encrypted (WireGuard).
const verdict = (authType: string, verdict = "FORWARDED") => flow({ source: api, destination: db, dport: 5432, authType, verdict });
const traced = (encrypted: boolean) => flow({ source: api, destination: db, dport: 5432, encrypted });
const reply = (encrypted: boolean) => flow({ source: db, destination: api, dport: 5432, isReply: true, encrypted });

describe("encrypted and mutually authenticated edges", () => {
  it("counts the flows seen encrypted and the policy verdicts that passed mutual authentication", () => {
    const model = new ServiceMapModel("workload");
    const rows = [verdict("SPIRE"), verdict("SPIRE"), verdict("SPIRE", "DROPPED"), verdict(""), traced(true), traced(false), reply(true)];
    model.add(rows);
    const [edge] = model.snapshot().edges;
    assert.equal(edge.id, "wl:billing/billing-api|wl:billing/billing-db|5432/TCP");
    assert.equal(edge.flows, 7);
    assert.equal(edge.encrypted, 2, "the trace event and the reply seen encrypted");
    assert.equal(edge.authenticated, 2, "a dropped verdict (authentication failed) does not count");
    assert.deepEqual(edgeSecurity(edge), { encrypted: true, encryptedShare: 2 / 7, authenticated: true });
    assert.equal(
      edgeSecurityText(edge),
      "encrypted between nodes (WireGuard or IPsec): 2 of 7 flows (29%); mutually authenticated (SPIRE): 2 policy verdicts required and passed it",
    );
    // Taken back exactly when the rows leave the window.
    model.remove(rows.slice(0, 5));
    const [after] = model.snapshot().edges;
    assert.deepEqual([after.flows, after.encrypted, after.authenticated], [2, 1, 0]);
    assert.equal(edgeSecurityText(after), "encrypted between nodes (WireGuard or IPsec): 1 of 2 flows (50%)");
  });

  it("weighted entries (the server's representative rows) count their weight", () => {
    const model = new ServiceMapModel("workload");
    const entry = (row: FlowRow) => ({ row, timeMs: row.timeMs, contribution: undefined });
    model.addEntries([
      [entry(traced(true)), 30],
      [entry(traced(false)), 70],
      [entry(verdict("SPIRE")), 5],
    ]);
    const [edge] = model.snapshot().edges;
    assert.deepEqual([edge.flows, edge.encrypted, edge.authenticated], [105, 30, 5]);
  });

  it("an edge with neither says nothing", () => {
    const model = new ServiceMapModel("workload");
    model.add([flow({ source: web, destination: api, dport: 8080 })]);
    const [edge] = model.snapshot().edges;
    assert.deepEqual([edge.encrypted, edge.authenticated], [0, 0]);
    assert.deepEqual(edgeSecurity(edge), { encrypted: false, encryptedShare: 0, authenticated: false });
    assert.equal(edgeSecurityText(edge), "");
  });

  it("the server keeps encrypted and plain flows apart when it folds flows into representative rows", () => {
    assert.notEqual(mapSignature(traced(true), "workload"), mapSignature(traced(false), "workload"));
    assert.notEqual(mapSignature(verdict("SPIRE"), "workload"), mapSignature(verdict(""), "workload"));
    assert.equal(mapSignature(traced(true), "workload"), mapSignature(traced(true), "workload"));
  });

  it("travels in the map's wire frames, full and delta", () => {
    const model = new ServiceMapModel("workload");
    model.add([flow({ source: web, destination: api, dport: 8080 })]);
    const first = model.snapshot();
    model.add([verdict("SPIRE"), traced(true)]);
    const second = model.snapshot();
    const full = applyMapFrame(undefined, JSON.parse(JSON.stringify(mapFrame(undefined, first, new Map(), 1))))!;
    const delta = applyMapFrame(full, JSON.parse(JSON.stringify(mapFrame(first, second, new Map(), 2))))!;
    const edge = delta.snapshot.edges.find((e) => e.id.includes("billing-db"))!;
    assert.deepEqual([edge.flows, edge.encrypted, edge.authenticated], [2, 1, 1]);
  });

  it("a collapsed namespace's merged edge sums them", () => {
    const model = new ServiceMapModel("workload");
    model.add([verdict("SPIRE"), traced(true), flow({ source: web, destination: db, dport: 5432, encrypted: true }), flow({ source: web, destination: api, dport: 8080 })]);
    const collapsed = collapseNamespaces(model.snapshot(), new Set(["billing"]));
    const merged = collapsed.edges.find((e) => e.source === "wl:shop/web" && e.target === "ns:billing")!;
    assert.deepEqual([merged.flows, merged.encrypted, merged.authenticated], [2, 1, 0]);
    const self = collapsed.edges.find((e) => e.source === "ns:billing" && e.target === "ns:billing")!;
    assert.deepEqual([self.flows, self.encrypted, self.authenticated], [2, 1, 1]);
  });
});
