import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ALL_NAMESPACES, namespacesAccess } from "@/lib/access/scope";
import type { FlowReferenceView } from "@/lib/api/investigations";
import { emptyFlowQuery } from "@/lib/filter-model";
import { getFlowsResponseToJson } from "@/lib/flow-json";
import { type ReferenceAvailability, referenceAvailability, savedFlowsRead, snapshotFlows } from "@/lib/investigation";
import { waitUntil } from "@/lib/testing/wait";
import { loadServerConfig } from "@/server/config/env";
import { flowHistoryResponse } from "@/server/http/flow-history";
import { testDataDir } from "@/server/http/testing";
import { createRuntime, type Runtime } from "@/server/runtime";
import { createInvestigationResponse, investigationFlowsResponse, investigationResponse, type InvestigationApi } from "@/server/http/investigations";
import { ANONYMOUS_VIEWER, type InvestigationViewer } from "./access";
import type { FlowStore, StoredFlow } from "@/server/flow-store/store";
import { type InvestigationHistory, referencedFlowLines, referencedFlows } from "./referenced";

// Investigations that point at the flow history, through the real runtime: the demo relay, the
// recorder on its thread, the SQLite flow store and investigation store. Saved by reference when
// history covers the window, reopened with exactly the window's stored flows after the relay's
// buffers rotated, refused for a person who may not see all of them, and, once retention removed
// flows, opened with a message saying how many remain. Opening is what the page does: the
// investigation (no flows read), then its flows (read from the store once), counted.

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
  const meta = async (id: string, viewer: InvestigationViewer = ANONYMOUS_VIEWER, which: Pick<InvestigationApi, "store" | "history"> = api) => {
    const res = await investigationResponse(id, which, viewer);
    return { status: res.status, body: (await res.json()) as { flowSource?: string; flowCount?: number; reference?: FlowReferenceView } };
  };
  /** As the page opens it: the investigation, then its flows (as the browser asks for them), counted as the browser counts them. */
  const open = async (id: string, which: Pick<InvestigationApi, "store" | "history"> = api) => {
    const opened = await meta(id, ANONYMOUS_VIEWER, which);
    const res = await investigationFlowsResponse(id, which, ANONYMOUS_VIEWER, new Request(`http://lens.test/api/investigations/${id}/flows`));
    assert.equal(res.status, 200);
    const text = await res.text();
    const reference = opened.body.reference!;
    const availability: ReferenceAvailability = referenceAvailability(reference, savedFlowsRead(snapshotFlows(text, emptyFlowQuery(), new Date())));
    return { reference, availability, lines: lines(text) };
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

    const described = await meta(referenced);
    assert.equal(described.status, 200);
    assert.equal(described.body.flowSource, "reference");
    const reference = described.body.reference!;
    assert.equal(reference.savedCount, window.flows.length);
    assert.equal(reference.history, "on");
    assert.ok(reference.reachesBack !== null && Date.parse(reference.reachesBack) <= window.from, `history reaches back to ${reference.reachesBack}`);
    assert.deepEqual([reference.since, reference.until], [new Date(window.from).toISOString(), new Date(window.to).toISOString()]);
    assert.equal("whitelist" in reference, false, "the filters (with the saver's scope) are not shown");
    assert.equal("remaining" in reference, false, "how many remain is not read for the description");

    const opened = await open(referenced);
    assert.deepEqual(opened.availability, { state: "complete", remaining: window.flows.length });
    assert.deepEqual(uuids(opened.lines), uuids(window.flows));
  });

  it("opening reads the store once: the description reads no flow, the flows one pass", async () => {
    const real = runtime.history!;
    let reads = 0;
    const counting: InvestigationHistory = {
      store: {
        flows: (query) => {
          reads++;
          return real.store.flows(query);
        },
      },
      coverage: (fresh) => real.coverage(fresh),
    };
    const which = { ...api, history: counting };
    assert.equal((await meta(referenced, ANONYMOUS_VIEWER, which)).status, 200);
    assert.equal(reads, 0, "describing it reads no flow");
    const opened = await open(referenced, which);
    assert.equal(reads, 1, "opening it (described, then its flows) reads the store once");
    assert.deepEqual(opened.availability, { state: "complete", remaining: window.flows.length });

    // The history's figures unreadable: said so, and the count read from the flows still decides.
    reads = 0;
    const unreadable = { ...api, history: { ...counting, coverage: () => Promise.reject(new Error("usage: disk I/O error")) } };
    const unknown = await open(referenced, unreadable);
    assert.equal(reads, 1);
    assert.deepEqual(unknown.reference, { ...opened.reference, history: "unknown", reachesBack: null });
    assert.deepEqual(unknown.availability, { state: "complete", remaining: window.flows.length });
  });

  it("more flows than when saved (recorded late): says so from the count read", async () => {
    const real = runtime.history!.store;
    // A flow of the window recorded after the save: here the window's last one served again.
    const late: Pick<FlowStore, "flows"> = {
      async *flows(query) {
        let last: StoredFlow | undefined;
        for await (const f of real.flows(query)) yield (last = f);
        if (last) yield last;
      },
    };
    const opened = await open(referenced, { ...api, history: { store: late, coverage: (fresh) => runtime.history!.coverage(fresh) } });
    const n = window.flows.length;
    assert.deepEqual(opened.availability, {
      state: "incomplete",
      remaining: n + 1,
      message: `${(n + 1).toLocaleString("en-US")} of the ${n.toLocaleString("en-US")} flows saved remain: the flow history now holds more flows of this window than when it was saved (flows recorded late).`,
    });
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
    const opened = await open(referenced, off);
    assert.equal(opened.reference.history, "off");
    assert.deepEqual(opened.lines, []);
    assert.equal(opened.availability.state, "incomplete");
    assert.equal(opened.availability.state === "incomplete" && opened.availability.remaining, 0);
    assert.match(
      opened.availability.state === "incomplete" ? opened.availability.message : "",
      new RegExp(`^Flow history is off on this server: none of the ${window.flows.length.toLocaleString("en-US")} flows`),
    );
  });

  it("says how many flows remain once retention removed some, then all of them", async () => {
    const store = runtime.history!.store;
    // Retention removes whole blocks of about a second, by their newest flow: cut a little further
    // each time until it reaches into the window.
    let part = await open(referenced);
    let cut = window.from;
    for (; part.availability.state === "complete" && cut < window.to + 5000; cut += 200) {
      const nowMs = Date.now();
      await store.enforceRetention({ maxAgeMs: nowMs - cut, maxBytes: 0, nowMs });
      part = await open(referenced);
    }
    const ref = part.reference;
    const some = part.availability;
    assert.equal(some.state, "incomplete");
    const remaining = some.state === "incomplete" ? some.remaining! : -1;
    assert.ok(remaining > 0 && remaining < window.flows.length, `${remaining} of ${window.flows.length} remain`);
    assert.ok(ref.reachesBack && Date.parse(ref.reachesBack) <= cut, `history reaches back to ${ref.reachesBack}`);
    assert.equal(
      some.state === "incomplete" && some.message,
      `${remaining.toLocaleString("en-US")} of the ${window.flows.length.toLocaleString("en-US")} flows saved remain: ${retentionWords(ref)}.`,
    );
    const left = new Set(uuids(part.lines));
    assert.equal(left.size, remaining);
    assert.deepEqual(
      uuids(part.lines),
      uuids(window.flows).filter((u) => left.has(u)),
      "flows of the window, in order, none from elsewhere",
    );
    const download = await flowsOf(referenced);
    assert.deepEqual(uuids(download.lines), uuids(part.lines), "the download holds the same flows");

    // Blocks overlap in time: cut well past the window, where the recorder still writes.
    await store.enforceRetention({ maxAgeMs: 1000, maxBytes: 0, nowMs: Date.now() });
    const none = await open(referenced);
    assert.deepEqual(none.lines, []);
    assert.equal(none.availability.state === "incomplete" && none.availability.remaining, 0);
    assert.match(
      none.availability.state === "incomplete" ? none.availability.message : "",
      new RegExp(`^0 of the ${window.flows.length.toLocaleString("en-US")} flows saved remain: retention has removed`),
    );
  });
});

function retentionWords(ref: FlowReferenceView): string {
  return `retention has removed the others (the flow history now reaches back to ${ref.reachesBack}; this window starts ${ref.since})`;
}
