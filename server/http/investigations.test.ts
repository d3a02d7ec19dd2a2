import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { JsonObject } from "@bufbuild/protobuf";
import { getFlowsResponseToJson, parseGetFlowsResponseJson } from "@/lib/flow-json";
import { MAX_TEXT } from "@/lib/flow-model";
import { newInvestigationId } from "@/server/investigations/ids";
import { openInvestigationStore } from "@/server/investigations";
import {
  createInvestigationResponse,
  deleteInvestigationResponse,
  investigationFlowsResponse,
  investigationListResponse,
  investigationResponse,
  MAX_BODY_BYTES,
  type InvestigationApi,
  type InvestigationViewer,
} from "./investigations";
import { ALL_NAMESPACES, namespacesAccess } from "@/lib/access/scope";
import type { InvestigationStore } from "@/server/investigations/store";
import { flowLine, HOSTILE, policySnapshot } from "@/server/investigations/testing/fixtures";

// The /api/investigations handlers with real Request objects over a real (SQLite) store.

const flowObject = (seed: number, i: number): JsonObject => (JSON.parse(flowLine(seed, i)) as { flow: JsonObject }).flow;

function post(body: unknown, init: { type?: string; raw?: string } = {}): Request {
  return new Request("http://lens.test/api/investigations", {
    method: "POST",
    headers: { "content-type": init.type ?? "application/json" },
    body: init.raw ?? JSON.stringify(body),
  });
}

const validBody = () => ({
  title: "  Checkout drops  ",
  note: HOSTILE,
  view: "namespace=shop&verdict=DROPPED&flow=x",
  selectedFlow: "00000001-0000-4000-8000-000000000000",
  flows: [flowObject(1, 0), flowObject(1, 1), flowObject(1, 2)],
});

async function errorOf(res: Response): Promise<{ code: string; message: string }> {
  return ((await res.json()) as { error: { code: string; message: string } }).error;
}

describe("investigations API", () => {
  let dir: string;
  let api: InvestigationApi;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "hubble-lens-api-"));
    api = { store: await openInvestigationStore({ dataDir: dir, databaseUrl: null }), policies: () => policySnapshot(7) };
  });
  after(async () => {
    await api.store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("POST saves and answers 201 with the link; GET gives it back with the policies as they were", async () => {
    const res = await createInvestigationResponse(post(validBody()), api);
    assert.equal(res.status, 201);
    const { id, url } = (await res.json()) as { id: string; url: string };
    assert.match(id, /^[A-Za-z0-9_-]{22}$/);
    assert.equal(url, `/investigations/${id}`);
    assert.equal(res.headers.get("location"), url);

    const got = await investigationResponse(id, api);
    assert.equal(got.status, 200);
    const inv = (await got.json()) as Record<string, unknown>;
    assert.equal(inv.title, "Checkout drops");
    assert.equal(inv.note, HOSTILE);
    assert.equal(inv.view, validBody().view);
    assert.equal(inv.selectedFlow, validBody().selectedFlow);
    assert.equal(inv.flowCount, 3);
    assert.deepEqual(inv.policies, policySnapshot(7));
  });

  it("serves the flows as the jsonpb lines /api/flows/history serves, in order", async () => {
    const { id } = (await (await createInvestigationResponse(post(validBody()), api)).json()) as { id: string };
    const res = await investigationFlowsResponse(id, api);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "application/x-ndjson; charset=utf-8");
    const text = await res.text();
    assert.ok(text.endsWith("\n"));
    const lines = text.split("\n").slice(0, -1);
    assert.equal(lines.length, 3);
    for (const [i, line] of lines.entries()) {
      // A strict GetFlowsResponse, byte for byte what the history route would encode for it.
      const response = parseGetFlowsResponseJson(line);
      assert.equal(getFlowsResponseToJson(response), line);
      assert.deepEqual((JSON.parse(line) as { flow: JsonObject }).flow, flowObject(1, i));
    }
  });

  it("takes flows in the jsonpb envelope too, and bounds every flow like the live stream", async () => {
    const long = { ...flowObject(2, 0), Summary: "x".repeat(10_000) };
    const body = { ...validBody(), flows: [{ flow: flowObject(2, 1), node_name: "kind-worker1", time: flowObject(2, 1).time }, long] };
    const { id } = (await (await createInvestigationResponse(post(body), api)).json()) as { id: string };
    const lines = (await (await investigationFlowsResponse(id, api)).text()).trim().split("\n");
    assert.deepEqual((JSON.parse(lines[0]) as { flow: JsonObject }).flow, flowObject(2, 1));
    assert.equal(((JSON.parse(lines[1]) as { flow: JsonObject }).flow.Summary as string).length, MAX_TEXT + 1);
  });

  it("lists the newest first, with their links", async () => {
    const { id } = (await (await createInvestigationResponse(post({ ...validBody(), title: "newest" }), api)).json()) as { id: string };
    const res = await investigationListResponse(api);
    const { investigations } = (await res.json()) as { investigations: Array<Record<string, unknown>> };
    assert.deepEqual(Object.keys(investigations[0]).sort(), ["createdAt", "flowCount", "id", "owner", "title", "url"]);
    assert.equal(investigations[0].id, id);
    assert.equal(investigations[0].title, "newest");
    assert.equal(investigations[0].url, `/investigations/${id}`);
  });

  const badRequests: Array<[string, Request, RegExp]> = [
    ["a body that is not JSON", post(null, { raw: "{title:" }), /not valid JSON/],
    ["a body that is not an object", post([1, 2]), /must be a JSON object/i],
    ["no title", post({ ...validBody(), title: undefined }), /^title: title is required/],
    ["a blank title", post({ ...validBody(), title: "   " }), /^title: title must not be empty/],
    ["a title over 200 characters", post({ ...validBody(), title: "t".repeat(201) }), /at most 200/],
    ["a note over 10,000 characters", post({ ...validBody(), note: "n".repeat(10_001) }), /at most 10000/],
    ["no view", post({ ...validBody(), view: undefined }), /^view: view is required/],
    ["a view over 8 KB", post({ ...validBody(), view: "é".repeat(4_097) }), /at most 8192 bytes/],
    ["flows that are not an array", post({ ...validBody(), flows: "x" }), /^flows: flows is required/],
    ["a flow that is not an object", post({ ...validBody(), flows: [flowObject(1, 0), "x"] }), /^flows\.1: each flow must be a JSON object/],
    ["an unknown field", post({ ...validBody(), titel: "typo" }), /titel/],
    ["a NUL character in the note", post({ ...validBody(), note: "a\u0000b" }), /^note: must not contain NUL/],
  ];
  for (const [what, request, message] of badRequests) {
    it(`answers 400 with a clear message for ${what}`, async () => {
      const res = await createInvestigationResponse(request, api);
      assert.equal(res.status, 400);
      const error = await errorOf(res);
      assert.equal(error.code, "invalid-investigation");
      assert.match(error.message, message);
    });
  }

  it("answers 400 for a body that is not UTF-8", async () => {
    const request = new Request("http://lens.test/api/investigations", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: new Uint8Array([0x7b, 0xff, 0x7d]),
    });
    const res = await createInvestigationResponse(request, api);
    assert.equal(res.status, 400);
    assert.match((await errorOf(res)).message, /UTF-8/);
  });

  it("answers 415 to anything but JSON (no cross-site form posts)", async () => {
    const res = await createInvestigationResponse(post(validBody(), { type: "text/plain" }), api);
    assert.equal(res.status, 415);
  });

  it("answers 413 for more than 50,000 flows", async () => {
    const res = await createInvestigationResponse(post({ ...validBody(), flows: Array.from({ length: 50_001 }, () => ({})) }), api);
    assert.equal(res.status, 413);
    assert.match((await errorOf(res)).message, /at most 50000 flows/);
  });

  it("answers 413 for a declared body over the limit without reading it", async () => {
    let pulled = 0;
    const body = new ReadableStream<Uint8Array>({ pull: (c) => void (pulled++, c.enqueue(new Uint8Array(1024))) });
    const request = new Request("http://lens.test/api/investigations", {
      method: "POST",
      headers: { "content-type": "application/json", "content-length": String(MAX_BODY_BYTES + 1) },
      body,
      duplex: "half",
    } as RequestInit);
    const res = await createInvestigationResponse(request, api);
    assert.equal(res.status, 413);
    assert.ok(pulled <= 1, `pulled ${pulled} chunks`);
  });

  it("stops reading a streamed body as soon as it passes the limit", async () => {
    const chunk = new Uint8Array(4 * 1024 * 1024).fill(0x20);
    let sent = 0;
    let cancelled = false;
    const body = new ReadableStream<Uint8Array>({
      pull: (c) => {
        sent += chunk.byteLength;
        c.enqueue(chunk);
      },
      cancel: () => void (cancelled = true),
    });
    const request = new Request("http://lens.test/api/investigations", { method: "POST", headers: { "content-type": "application/json" }, body, duplex: "half" } as RequestInit);
    const res = await createInvestigationResponse(request, api);
    assert.equal(res.status, 413);
    assert.ok(cancelled, "the body stream was cancelled");
    assert.ok(sent <= MAX_BODY_BYTES + 3 * chunk.byteLength, `read ${sent} bytes`);
  });

  it("answers 404 for unknown and malformed ids, on both GET routes", async () => {
    for (const id of [newInvestigationId(), "nope", "../etc/passwd", "a".repeat(5000)]) {
      for (const res of [await investigationResponse(id, api), await investigationFlowsResponse(id, api)]) {
        assert.equal(res.status, 404);
        assert.equal((await errorOf(res)).code, "not-found");
      }
    }
  });

  it("answers 500 without the database's message when the store fails", async () => {
    const failing: InvestigationStore = {
      kind: "postgres",
      save: async () => {
        throw new Error("connection to 10.1.2.3 password=hunter2 lost");
      },
      get: async () => {
        throw new Error("hunter2");
      },
      flows: async () => {
        throw new Error("hunter2");
      },
      list: async () => {
        throw new Error("hunter2");
      },
      delete: async () => {
        throw new Error("hunter2");
      },
      expire: async () => {
        throw new Error("hunter2");
      },
      close: async () => {},
    };
    const broken = { store: failing, policies: () => policySnapshot() };
    for (const res of [
      await createInvestigationResponse(post(validBody()), broken),
      await investigationResponse(newInvestigationId(), broken),
      await investigationFlowsResponse(newInvestigationId(), broken),
      await investigationListResponse(broken),
    ]) {
      assert.equal(res.status, 500);
      const text = await res.text();
      assert.ok(!text.includes("hunter2"), text);
      assert.match(text, /"code":"internal"/);
    }
  });
});

describe("investigations for a team: owners, groups and namespaces", () => {
  let dir: string;
  let api: InvestigationApi;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "hubble-lens-team-"));
    api = { store: await openInvestigationStore({ dataDir: dir, databaseUrl: null }), policies: () => policySnapshot(7) };
  });
  after(async () => {
    await api.store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  // The fixture flows are shop → shop; a flow from billing to payments is another team's.
  const shopFlow = (i: number) => flowObject(1, i);
  const billingFlow = (i: number): JsonObject => ({
    ...flowObject(2, i),
    source: { namespace: "billing", pod_name: "api-0" },
    destination: { namespace: "payments", pod_name: "ledger-0" },
  });
  const alice: InvestigationViewer = { user: "alice", groups: ["shop-team"], access: namespacesAccess(["shop"]) };
  const carol: InvestigationViewer = { user: "carol", groups: ["shop-team"], access: namespacesAccess(["shop"]) };
  const bob: InvestigationViewer = { user: "bob", groups: ["billing-team"], access: namespacesAccess(["billing"]) };
  const admin: InvestigationViewer = { user: "root", groups: [], access: ALL_NAMESPACES };

  async function save(viewer: InvestigationViewer, flows: JsonObject[], title = "t"): Promise<Response> {
    return createInvestigationResponse(post({ ...validBody(), title, flows }), api, viewer);
  }
  const idOf = async (res: Response) => ((await res.json()) as { id: string }).id;
  const listIds = async (viewer: InvestigationViewer) =>
    ((await (await investigationListResponse(api, viewer)).json()) as { investigations: Array<{ id: string }> }).investigations.map((i) => i.id);

  it("refuses to save flows the person may not see (403), naming the first", async () => {
    const res = await save(alice, [shopFlow(0), billingFlow(1)]);
    assert.equal(res.status, 403);
    const error = await errorOf(res);
    assert.equal(error.code, "forbidden-namespace");
    assert.match(error.message, /^flows\.1: .*"billing" and "payments"/);
  });

  it("records the owner and shares with the owner's groups", async () => {
    const id = await idOf(await save(alice, [shopFlow(0)], "alice's"));
    const inv = (await (await investigationResponse(id, api, alice)).json()) as Record<string, unknown>;
    assert.equal(inv.owner, "alice");
    assert.deepEqual(inv.sharedWith, ["shop-team"]);
    assert.equal(inv.canDelete, true);
    assert.ok(!("flowNamespaces" in inv));
    assert.equal(((await (await investigationResponse(id, api, carol)).json()) as { canDelete: boolean }).canDelete, false);
  });

  it("opens only for those who may see every one of its flows; others get the 404 of an unknown id", async () => {
    const id = await idOf(await save(alice, [shopFlow(0), shopFlow(1)], "shop only"));
    for (const [viewer, status] of [
      [alice, 200],
      [carol, 200],
      [admin, 200],
      [bob, 404],
    ] as const) {
      assert.equal((await investigationResponse(id, api, viewer)).status, status, viewer.user);
      const flows = await investigationFlowsResponse(id, api, viewer);
      assert.equal(flows.status, status, `${viewer.user}: flows`);
      await flows.body?.cancel();
    }
    const mixed = await idOf(await save(admin, [shopFlow(2), billingFlow(3)], "mixed"));
    assert.equal((await investigationResponse(mixed, api, alice)).status, 404, "alice cannot see the billing flow");
    assert.equal((await investigationResponse(mixed, api, bob)).status, 404, "bob cannot see the shop flows");
    assert.equal((await investigationResponse(mixed, api, admin)).status, 200);
  });

  it("lists a person their own and their groups' investigations that they may open, never others' ids", async () => {
    const mine = await idOf(await save(alice, [shopFlow(4)], "listed"));
    const bobs = await idOf(await save(bob, [billingFlow(5)], "bob's"));
    const adminsShop = await idOf(await save(admin, [shopFlow(6)], "admin's, no groups"));
    const aliceSees = await listIds(alice);
    assert.ok(aliceSees.includes(mine));
    assert.ok(!aliceSees.includes(bobs) && !aliceSees.includes(adminsShop));
    assert.ok((await listIds(carol)).includes(mine), "carol is in shop-team");
    assert.deepEqual(await listIds(bob), [bobs]);
    // A team-mate whose access shrank no longer lists what they may not open.
    const shrunk: InvestigationViewer = { ...carol, access: namespacesAccess(["payments"]) };
    assert.ok(!(await listIds(shrunk)).includes(mine));
  });

  it("lets only the owner delete (204); others who may open it get 403, the rest 404", async () => {
    const id = await idOf(await save(alice, [shopFlow(7)], "to delete"));
    assert.equal((await deleteInvestigationResponse(id, api, bob)).status, 404);
    const refused = await deleteInvestigationResponse(id, api, carol);
    assert.equal(refused.status, 403);
    assert.equal((await errorOf(refused)).code, "not-owner");
    assert.equal((await deleteInvestigationResponse(id, api, admin)).status, 403, "seeing everything is not owning");
    assert.equal((await deleteInvestigationResponse(id, api, alice)).status, 204);
    assert.equal((await investigationResponse(id, api, alice)).status, 404);
    assert.equal((await deleteInvestigationResponse(id, api, alice)).status, 404);
  });

  it("serves the saved policies as the person may read them", async () => {
    const withBilling = {
      ...policySnapshot(7),
      policies: [...policySnapshot(7).policies, { ...policySnapshot(7).policies[0]!, namespace: "billing", name: "billing-ingress" }],
    };
    const scopedApi = { ...api, policies: () => withBilling };
    const id = await idOf(await createInvestigationResponse(post({ ...validBody(), flows: [shopFlow(8)] }), scopedApi, admin));
    const names = async (viewer: InvestigationViewer) =>
      ((await (await investigationResponse(id, api, viewer)).json()) as { policies: { policies: Array<{ name: string }> } }).policies.policies.map((p) => p.name);
    assert.deepEqual(await names(admin), ["checkout-ingress", "billing-ingress"]);
    assert.deepEqual(await names(alice), ["checkout-ingress"]);
  });
});
