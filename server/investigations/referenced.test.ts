import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ALL_NAMESPACES, namespacesAccess } from "@/lib/access/scope";
import { getFlowsResponseToJson } from "@/lib/flow-json";
import { waitUntil } from "@/lib/testing/wait";
import { loadServerConfig } from "@/server/config/env";
import { flowHistoryResponse } from "@/server/http/flow-history";
import { testDataDir } from "@/server/http/testing";
import { createRuntime, type Runtime } from "@/server/runtime";
import { createInvestigationResponse, investigationFlowsResponse, investigationResponse, type InvestigationApi } from "@/server/http/investigations";
import { ANONYMOUS_VIEWER, type InvestigationViewer } from "./access";
import { type ReferenceAvailability, referencedFlowLines, referencedFlows } from "./referenced";

// Investigations that point at the flow history, through the real runtime: the demo relay, the
// recorder on its thread, the SQLite flow store and investigation store. Saved by reference when
// history covers the window, reopened with exactly the window's stored flows after the relay's
// buffers rotated, refused for a person who may not see all of them, and, once retention removed
// flows, opened with a message saying how many remain.

type Line = { flow?: { uuid: string; source?: { namespace?: string }; destination?: { namespace?: string } } };

const lines = (text: string): Line[] =>
  text
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l) as Line);
const uuids = (ls: Line[]) => ls.filter((l) => l.flow).map((l) => l.flow!.uuid);

async function eventually(cond: () => Promise<boolean>, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("investigations that point at the flow history", () => {
  let runtime: Runtime;
  let api: InvestigationApi;
  let startMs: number;
  /** The window saved by reference, and its flows as /api/flows/history answers them (from the store). */
  let window: { from: number; to: number; view: string; flows: Line[] };
  let referenced: string;

  before(async () => {
    // 4 nodes × 255 flows at 400 flows/s: the relay holds about 2.5 s.
    runtime = await createRuntime(
      loadServerConfig({ HUBBLE_LENS_DATA_DIR: testDataDir(), HUBBLE_LENS_DEMO_RATE: "400", HUBBLE_LENS_DEMO_BUFFER: "255", HUBBLE_LENS_DEMO_SEED: "23" }),
    );
    startMs = Date.now();
    api = { store: runtime.investigations, policies: () => runtime.policies.current(), history: runtime.history };
  });
  after(async () => {
    await runtime?.close();
  });

  const save = async (view: string, flows: unknown[] = [], viewer: InvestigationViewer = ANONYMOUS_VIEWER, which = api) => {
    const res = await createInvestigationResponse(
      new Request("http://lens.test/api/investigations", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ title: "t", view, flows }) }),
      which,
      viewer,
    );
    const body = (await res.json()) as { id: string; flowSource: string; flowCount: number; error?: unknown };
    return { status: res.status, ...body };
  };
  const meta = async (id: string, viewer: InvestigationViewer = ANONYMOUS_VIEWER) => {
    const res = await investigationResponse(id, api, viewer);
    return { status: res.status, body: (await res.json()) as { flowSource?: string; flowCount?: number; reference?: ReferenceAvailability } };
  };
  const flowsOf = async (id: string, viewer: InvestigationViewer = ANONYMOUS_VIEWER) => {
    const res = await investigationFlowsResponse(id, api, viewer, new Request(`http://lens.test/api/investigations/${id}/flows?download=1`));
    return { status: res.status, disposition: res.headers.get("content-disposition"), lines: res.status === 200 ? lines(await res.text()) : [] };
  };

  it("shows the stored flows in the status right after start, not 10 s later", async () => {
    // The first reading, on the empty store, is cached; the recorder then writes the relay's buffers.
    const history = runtime.history!;
    assert.equal((await history.status()).flows, 0);
    const recorder = history.recorder!;
    await waitUntil(() => recorder.status.written > 0, "the recorder's first write", 30_000);
    const wrote = Date.now();
    await eventually(async () => (await history.status()).flows > 0, "the status to show the stored flows", 3000);
    assert.ok(Date.now() - wrote < 3000);
  });

  it("saves a window the history covers as a reference to its stored flows", async () => {
    // Past the recorder's first write (the relay's whole buffer at once, in blocks of seconds): from
    // then on it writes about a second of flows per block, so retention can cut into the window.
    const from = startMs + 6000;
    const to = startMs + 8000;
    const recorder = runtime.history!.recorder!;
    await waitUntil(() => (recorder.status.newestMs ?? 0) > to + 6000, "the window recorded", 30_000);
    const query = `since=${new Date(from).toISOString()}&until=${new Date(to).toISOString()}`;
    const res = await flowHistoryResponse(new Request(`http://lens.test/api/flows/history?${query}&first=100000`), runtime.flows);
    window = { from, to, view: `${query}&panel=details`, flows: lines(await res.text()).filter((l) => l.flow) };
    assert.ok(window.flows.length > 500, `${window.flows.length} flows in the window`);

    // The browser sends what it has (a sampled share at most); the reference holds every stored flow.
    const saved = await save(window.view, [window.flows[0].flow]);
    assert.equal(saved.status, 201, JSON.stringify(saved));
    assert.equal(saved.flowSource, "reference");
    assert.equal(saved.flowCount, window.flows.length);
    referenced = saved.id;
    assert.deepEqual(await runtime.investigations.flows(referenced), [], "no flow copied into the investigation store");

    const opened = await meta(referenced);
    assert.equal(opened.status, 200);
    assert.equal(opened.body.flowSource, "reference");
    assert.equal(opened.body.reference?.complete, true);
    assert.equal(opened.body.reference?.remaining, window.flows.length);
    assert.equal(opened.body.reference?.message, undefined);
    assert.equal("whitelist" in (opened.body.reference ?? {}), false, "the filters (with the saver's scope) are not shown");
  });

  it("reopens exactly the same flows after the relay's buffers rotated, and exports them as a copy", async () => {
    const recorder = runtime.history!.recorder!;
    await waitUntil(() => (recorder.status.newestMs ?? 0) > window.to + 8000, "the relay's buffers rotated past the window", 30_000);
    const got = await flowsOf(referenced);
    assert.equal(got.status, 200);
    assert.match(got.disposition ?? "", /^attachment; filename="investigation-/);
    assert.deepEqual(uuids(got.lines), uuids(window.flows));
  });

  it("serves a reference's lines exactly as the message path writes them", async () => {
    const ref = (await runtime.investigations.get(referenced))!.reference!;
    const viaMessages: string[] = [];
    for await (const { response } of referencedFlows(runtime.history!.store, ref)) viaMessages.push(getFlowsResponseToJson(response));
    const served: string[] = [];
    for await (const line of referencedFlowLines(runtime.history!.store, ref, ALL_NAMESPACES)) served.push(line);
    assert.equal(served.length, window.flows.length);
    assert.deepEqual(served, viaMessages);
  });

  it("copies as before when history does not reach back to the window, or is off", async () => {
    const flow = window.flows[0].flow!;
    const old = `since=${new Date(startMs - 3_600_000).toISOString()}&until=${new Date(window.to).toISOString()}`;
    const before = await save(old, [flow]);
    assert.equal(before.status, 201);
    assert.equal(before.flowSource, "copy");
    assert.equal(before.flowCount, 1);
    assert.deepEqual(uuids((await flowsOf(before.id)).lines), [flow.uuid]);

    // A selected flow the window does not hold (the browser's buffer reaches further back than a live view's window).
    const res = await createInvestigationResponse(
      new Request("http://lens.test/api/investigations", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ title: "t", view: window.view, selectedFlow: "00000000-0000-4000-8000-000000000000", flows: [flow] }),
      }),
      api,
      ANONYMOUS_VIEWER,
    );
    assert.equal(((await res.json()) as { flowSource: string }).flowSource, "copy");
    const withSelected = await createInvestigationResponse(
      new Request("http://lens.test/api/investigations", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ title: "t", view: window.view, selectedFlow: window.flows[5].flow!.uuid, flows: [] }),
      }),
      api,
      ANONYMOUS_VIEWER,
    );
    assert.equal(((await withSelected.json()) as { flowSource: string }).flowSource, "reference");

    const off = await save(window.view, [flow], ANONYMOUS_VIEWER, { ...api, history: undefined });
    assert.equal(off.flowSource, "copy");
    assert.equal(off.flowCount, 1);
  });

  it("opens a referenced investigation only for those who may see every one of its flows", async () => {
    const namespaces = new Set(window.flows.flatMap((l) => [l.flow!.source?.namespace ?? "", l.flow!.destination?.namespace ?? ""]).filter((n) => n !== ""));
    assert.ok(namespaces.size >= 2, `the window spans namespaces ${[...namespaces].join(", ")}`);
    const one = [...namespaces].sort()[0];
    const narrow: InvestigationViewer = { user: "bob", groups: [], access: namespacesAccess([one]) };
    assert.equal((await meta(referenced, narrow)).status, 404);
    assert.equal((await flowsOf(referenced, narrow)).status, 404);
    // Flows with no namespace at either end (world, host) are visible only to those who see every namespace.
    const allNamespaced = window.flows.every((l) => l.flow!.source?.namespace || l.flow!.destination?.namespace);
    assert.equal((await meta(referenced, { ...narrow, access: namespacesAccess(namespaces) })).status, allNamespaced ? 200 : 404);

    // Saved by someone who sees one namespace: the reference holds only the flows they see, and
    // opens for them with exactly those.
    const theirs = await save(window.view, [], narrow);
    assert.equal(theirs.status, 201);
    assert.equal(theirs.flowSource, "reference");
    const visible = window.flows.filter((l) => l.flow!.source?.namespace === one || l.flow!.destination?.namespace === one);
    assert.equal(theirs.flowCount, visible.length);
    assert.deepEqual(uuids((await flowsOf(theirs.id, narrow)).lines), uuids(visible));
  });

  it("opens with a message, not an error, on a server whose flow history is off", async () => {
    const off = { ...api, history: undefined };
    const res = await investigationResponse(referenced, off);
    assert.equal(res.status, 200);
    const ref = ((await res.json()) as { reference: ReferenceAvailability }).reference;
    assert.equal(ref.remaining, 0);
    assert.equal(ref.complete, false);
    assert.match(ref.message ?? "", new RegExp(`^Flow history is off on this server: none of the ${window.flows.length.toLocaleString("en-US")} flows`));
    const flows = await investigationFlowsResponse(referenced, off);
    assert.equal(flows.status, 200);
    assert.equal(await flows.text(), "");
  });

  it("says how many flows remain once retention removed some, then all of them", async () => {
    const store = runtime.history!.store;
    // Retention removes whole blocks of about a second, by their newest flow: cut a little further
    // each time until it reaches into the window.
    let part = await meta(referenced);
    let cut = window.from;
    for (; part.body.reference?.complete && cut < window.to + 5000; cut += 200) {
      const nowMs = Date.now();
      await store.enforceRetention({ maxAgeMs: nowMs - cut, maxBytes: 0, nowMs });
      part = await meta(referenced);
    }
    assert.equal(part.status, 200);
    const ref = part.body.reference!;
    assert.equal(ref.complete, false);
    assert.ok(ref.remaining! > 0 && ref.remaining! < window.flows.length, `${ref.remaining} of ${window.flows.length} remain`);
    assert.ok(ref.reachesBack && Date.parse(ref.reachesBack) <= cut, `history reaches back to ${ref.reachesBack}`);
    assert.equal(ref.message, `${ref.remaining!.toLocaleString("en-US")} of the ${window.flows.length.toLocaleString("en-US")} flows saved remain: ${retentionWords(ref)}.`);
    const partFlows = await flowsOf(referenced);
    assert.equal(partFlows.status, 200);
    const left = new Set(uuids(partFlows.lines));
    assert.equal(left.size, ref.remaining);
    assert.deepEqual(
      uuids(partFlows.lines),
      uuids(window.flows).filter((u) => left.has(u)),
      "flows of the window, in order, none from elsewhere",
    );

    // Blocks overlap in time: cut well past the window, where the recorder still writes.
    await store.enforceRetention({ maxAgeMs: 1000, maxBytes: 0, nowMs: Date.now() });
    const none = await meta(referenced);
    assert.equal(none.status, 200);
    assert.equal(none.body.reference?.remaining, 0);
    assert.match(none.body.reference?.message ?? "", new RegExp(`^0 of the ${window.flows.length.toLocaleString("en-US")} flows saved remain: retention has removed`));
    const noFlows = await flowsOf(referenced);
    assert.equal(noFlows.status, 200);
    assert.deepEqual(noFlows.lines, []);
  });
});

function retentionWords(ref: ReferenceAvailability): string {
  return `retention has removed the others (the flow history now reaches back to ${ref.reachesBack}; this window starts ${ref.since})`;
}
