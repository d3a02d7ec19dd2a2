import { strict as assert } from "node:assert";
import { rmSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import type { JsonObject } from "@bufbuild/protobuf";
import { ApiError, createApiClient, type ApiClient } from "@/lib/api/client";
import type { CreateInvestigationRequest } from "@/lib/api/investigations";
import { namespacesAccess } from "@/lib/access/scope";
import { snapshotFlows } from "@/lib/investigation";
import { parseFlowQueryParams } from "@/lib/filter-model";
import { openInvestigationStore } from "@/server/investigations";
import type { InvestigationViewer } from "@/server/investigations/access";
import { newInvestigationId } from "@/server/investigations/ids";
import type { InvestigationStore } from "@/server/investigations/store";
import { flowLine, policySnapshot } from "@/server/investigations/testing/fixtures";
import { createInvestigationResponse, deleteInvestigationResponse, investigationFlowsResponse, investigationListResponse, investigationResponse } from "./investigations";
import { serveRoutes, testDataDir } from "./testing";

// The browser's investigation client functions (lib/api/client.ts) over real fetch, against the
// real route bodies behind a real HTTP server, on a real SQLite investigation store in a temp dir.
// One server per person: the route bodies take the viewer the guard would have found.

const flowObject = (seed: number, i: number): JsonObject => (JSON.parse(flowLine(seed, i)) as { flow: JsonObject }).flow;
const billingFlow = (i: number): JsonObject => ({
  ...flowObject(2, i),
  source: { namespace: "billing", pod_name: "api-0" },
  destination: { namespace: "payments", pod_name: "ledger-0" },
});

const share = (overrides: Partial<CreateInvestigationRequest> = {}): CreateInvestigationRequest => ({
  title: "Checkout drops",
  note: "SYN to 8080 dropped",
  view: "namespace=shop&verdict=DROPPED",
  selectedFlow: null,
  flows: [flowObject(1, 0), flowObject(1, 1), flowObject(1, 2)],
  ...overrides,
});

const ID_PATH = /^\/api\/investigations\/([^/]+)(\/flows)?$/;

/** The routes of app/api/investigations/**, as their files wire them, for one viewer. */
function investigationRoutes(store: InvestigationStore, viewer: InvestigationViewer) {
  const api = { store, policies: () => policySnapshot(7) };
  return (request: Request): Promise<Response> | undefined => {
    const path = new URL(request.url).pathname;
    if (path === "/api/investigations") {
      if (request.method === "POST") return createInvestigationResponse(request, api, viewer);
      if (request.method === "GET") return investigationListResponse(api, viewer);
      return undefined;
    }
    const m = ID_PATH.exec(path);
    if (!m) return undefined;
    const id = decodeURIComponent(m[1]);
    if (m[2]) return request.method === "GET" ? investigationFlowsResponse(id, api, viewer, request) : undefined;
    if (request.method === "GET") return investigationResponse(id, api, viewer);
    if (request.method === "DELETE") return deleteInvestigationResponse(id, api, viewer);
    return undefined;
  };
}

async function failure(pending: Promise<unknown>): Promise<ApiError> {
  const err = await pending.then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(err instanceof ApiError, `expected an ApiError, got ${String(err)}`);
  return err;
}

describe("the investigation client against the real routes and a SQLite store", () => {
  let dir: string;
  let store: InvestigationStore;
  const servers: Array<Awaited<ReturnType<typeof serveRoutes>>> = [];
  let alice: ApiClient;
  let carol: ApiClient;
  let bob: ApiClient;

  before(async () => {
    dir = testDataDir();
    store = await openInvestigationStore({ dataDir: dir, databaseUrl: null });
    const clientFor = async (viewer: InvestigationViewer) => {
      const server = await serveRoutes(investigationRoutes(store, viewer));
      servers.push(server);
      return createApiClient({ origin: server.origin });
    };
    alice = await clientFor({ user: "alice", groups: ["shop-team"], access: namespacesAccess(["shop"]) });
    carol = await clientFor({ user: "carol", groups: ["shop-team"], access: namespacesAccess(["shop"]) });
    bob = await clientFor({ user: "bob", groups: ["billing-team"], access: namespacesAccess(["billing"]) });
  });
  after(async () => {
    for (const server of servers) await server.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("create → get → list → flows → delete, each typed as the server answered it", async () => {
    const created = await alice.createInvestigation(share({ selectedFlow: "00000001-0000-4000-8000-000000000001" }));
    assert.match(created.id, /^[A-Za-z0-9_-]{22}$/);
    assert.deepEqual(created, { id: created.id, url: `/investigations/${created.id}`, flowSource: "copy", flowCount: 3 });

    const inv = await alice.investigation(created.id);
    assert.deepEqual(
      [inv.title, inv.note, inv.view, inv.selectedFlow, inv.flowCount, inv.flowSource, inv.owner, inv.canDelete],
      ["Checkout drops", "SYN to 8080 dropped", "namespace=shop&verdict=DROPPED", "00000001-0000-4000-8000-000000000001", 3, "copy", "alice", true],
    );
    assert.deepEqual(inv.sharedWith, ["shop-team"]);
    assert.equal(inv.policies.version, 7);
    assert.equal(inv.reference, undefined);
    assert.equal((await carol.investigation(created.id)).canDelete, false, "a team-mate may open it, not delete it");

    const listed = await carol.investigations();
    assert.ok(listed.investigations.some((i) => i.id === created.id && i.owner === "alice" && i.url === created.url));

    // The lines the page's snapshot reader takes, in the order they were posted.
    const text = await alice.investigationFlows(created.id);
    const query = parseFlowQueryParams(new URLSearchParams(""));
    assert.ok(query.ok);
    const read = snapshotFlows(text, query.query, new Date());
    assert.equal(read.unreadable, 0);
    assert.deepEqual(
      read.flows.map((f) => f.uuid),
      [0, 1, 2].map((i) => flowObject(1, i).uuid),
    );

    await alice.deleteInvestigation(created.id);
    const gone = await failure(alice.investigation(created.id));
    assert.deepEqual([gone.code, gone.status], ["not-found", 404]);
  });

  it("the download link is the flows route as an attachment", async () => {
    const { id } = await alice.createInvestigation(share());
    const url = alice.investigationDownloadUrl(id);
    assert.match(url, new RegExp(`/api/investigations/${id}/flows\\?download=1$`));
    const res = await fetch(url);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-disposition"), `attachment; filename="investigation-${id}.jsonl"`);
    assert.equal(res.headers.get("content-type"), "application/x-ndjson; charset=utf-8");
    assert.equal((await res.text()).trim().split("\n").length, 3);
  });

  it("an unknown id: 404 not-found with the server's message, on get, flows and delete alike", async () => {
    for (const id of [newInvestigationId(), "no/such id"]) {
      for (const pending of [alice.investigation(id), alice.investigationFlows(id), alice.deleteInvestigation(id)]) {
        const err = await failure(pending);
        assert.deepEqual([err.code, err.status, err.message], ["not-found", 404, "no such investigation: the link may be mistyped"]);
      }
    }
  });

  it("a junk body: 400 invalid-investigation naming the field, 413 too-large past 50,000 flows", async () => {
    const notAnObject = await failure(alice.createInvestigation(share({ flows: [flowObject(1, 0), "x" as unknown as JsonObject] })));
    assert.deepEqual([notAnObject.code, notAnObject.status], ["invalid-investigation", 400]);
    assert.match(notAnObject.message, /^flows\.1: each flow must be a JSON object/);

    const blank = await failure(alice.createInvestigation(share({ title: "   " })));
    assert.deepEqual([blank.code, blank.status], ["invalid-investigation", 400]);
    assert.match(blank.message, /^title: title must not be empty/);

    const tooMany = await failure(
      alice.createInvestigation(share({ flows: Array.from({ length: 50_001 }, () => ({ source: { namespace: "shop" }, destination: { namespace: "shop" } })) })),
    );
    assert.deepEqual([tooMany.code, tooMany.status], ["too-large", 413]);
    assert.match(tooMany.message, /at most 50000 flows/);
  });

  it("access refused as today: saving flows one may not see is 403, opening them 404, deleting another's 403", async () => {
    const forbidden = await failure(alice.createInvestigation(share({ flows: [flowObject(1, 0), billingFlow(1)] })));
    assert.deepEqual([forbidden.code, forbidden.status], ["forbidden-namespace", 403]);
    assert.match(forbidden.message, /^flows\.1: .*"billing" and "payments"/);

    const { id } = await alice.createInvestigation(share());
    for (const pending of [bob.investigation(id), bob.investigationFlows(id), bob.deleteInvestigation(id)]) {
      const err = await failure(pending);
      assert.deepEqual([err.code, err.status], ["not-found", 404], "bob may not see shop: as if it did not exist");
    }
    assert.ok(!(await bob.investigations()).investigations.some((i) => i.id === id));

    const notOwner = await failure(carol.deleteInvestigation(id));
    assert.deepEqual([notOwner.code, notOwner.status, notOwner.message], ["not-owner", 403, "only the one who saved an investigation may delete it"]);
    assert.equal((await alice.investigation(id)).id, id, "still there");
  });

  it("an abort while reading the flows stays the AbortError it is", async () => {
    const { id } = await alice.createInvestigation(share());
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(alice.investigationFlows(id, controller.signal), (e: unknown) => e instanceof Error && e.name === "AbortError" && !(e instanceof ApiError));
  });
});
