import { after, afterEach, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { cleanup, fireEvent, render, screen } from "@testing-library/react";
import type { JsonObject } from "@bufbuild/protobuf";
import type { CreateInvestigationRequest } from "@/lib/api/investigations";
import { waitUntil } from "@/lib/testing/wait";
import { withQueryClient } from "@/components/testing/queries";
import { type PageServer, servePage } from "@/components/testing/server";
import { ShareInvestigationButton } from "./share-investigation";

// The share dialog over the browser's API client and real fetch, against a small HTTP server that
// answers POST /api/investigations the way the route does (saved by copy or by reference, or an
// error in the API's form) and GET /api/session for the audience line.

afterEach(cleanup);

type Answer = { status: number; body: unknown };
let answer: Answer;
let posted: CreateInvestigationRequest[] = [];
let server: PageServer;

before(async () => {
  server = await servePage((req, res) => {
    if (req.method === "GET" && req.url === "/api/session") {
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ user: "alice", email: null, groups: ["shop-team"], auth: "proxy", namespaces: ["shop"] }));
      return;
    }
    if (req.method !== "POST" || req.url !== "/api/investigations") return void res.writeHead(404).end();
    let text = "";
    req.on("data", (chunk: Buffer) => (text += chunk.toString("utf8")));
    req.on("end", () => {
      posted.push(JSON.parse(text) as CreateInvestigationRequest);
      res.writeHead(answer.status, { "content-type": "application/json" }).end(JSON.stringify(answer.body));
    });
  });
});

after(() => server.close());

const FLOWS: JsonObject[] = [{ uuid: "a", verdict: "DROPPED" }, { uuid: "b" }];

function openAndSave(title?: string, note?: string) {
  posted = [];
  render(
    withQueryClient(
      <ShareInvestigationButton
        defaultTitle="POLICY_DENIED: shop/web → shop/api:8080"
        build={(t, n) => ({ title: t, note: n, view: "namespace=shop", selectedFlow: "a", flows: FLOWS })}
      />,
    ),
  );
  fireEvent.click(screen.getByRole("button", { name: "Share investigation" }));
  if (title !== undefined) fireEvent.change(screen.getByRole("textbox", { name: "Title" }), { target: { value: title } });
  if (note !== undefined) fireEvent.change(screen.getByRole("textbox", { name: "Note" }), { target: { value: note } });
  fireEvent.click(screen.getByRole("button", { name: "Save and get link" }));
}

describe("ShareInvestigationButton", () => {
  it("sends what the form holds, and shows the link and that the flows were copied", async () => {
    answer = { status: 201, body: { id: "abcdefghijklmnopqrstuv", url: "/investigations/abcdefghijklmnopqrstuv", flowSource: "copy", flowCount: 2 } };
    openAndSave("Checkout drops", "SYN to 8080");
    const link = await screen.findByTestId("investigation-link");
    assert.equal((link as HTMLInputElement).value, `${server.origin}/investigations/abcdefghijklmnopqrstuv`);
    assert.equal(screen.getByTestId("investigation-saved-as").textContent, "It keeps a copy of 2 flows.");
    assert.deepEqual(posted, [{ title: "Checkout drops", note: "SYN to 8080", view: "namespace=shop", selectedFlow: "a", flows: FLOWS }]);
  });

  it("saved by reference: says it points at the window's flows in the flow history, and for how long", async () => {
    answer = { status: 201, body: { id: "abcdefghijklmnopqrstuv", url: "/investigations/abcdefghijklmnopqrstuv", flowSource: "reference", flowCount: 12_345 } };
    openAndSave();
    const savedAs = await screen.findByTestId("investigation-saved-as");
    assert.equal(savedAs.textContent, "It points at the 12,345 flows of this window in the flow history (kept as long as its retention allows).");
    assert.equal(posted[0].title, "POLICY_DENIED: shop/web → shop/api:8080", "the default title");
  });

  it("an error answer: its message in an alert, the form kept to try again", async () => {
    answer = { status: 413, body: { error: { code: "too-large", message: "an investigation holds at most 50000 flows (got more); narrow the time window or the filter" } } };
    openAndSave("kept");
    const alert = await screen.findByRole("alert");
    assert.equal(alert.textContent, "Could not save: an investigation holds at most 50000 flows (got more); narrow the time window or the filter");
    assert.equal((screen.getByRole("textbox", { name: "Title" }) as HTMLInputElement).value, "kept");
    assert.equal(screen.queryByTestId("investigation-link"), null);
  });

  it("a proxy's answer instead of ours: a message that says what came back", async () => {
    answer = { status: 502, body: "not ours" };
    openAndSave();
    const alert = await screen.findByRole("alert");
    assert.match(alert.textContent!, /^Could not save: POST \/api\/investigations failed: HTTP 502 Bad Gateway, with JSON that is not a Hubble Lens error$/);
  });

  it("lists who finds it: the signed-in person's groups", async () => {
    answer = { status: 201, body: {} };
    render(withQueryClient(<ShareInvestigationButton defaultTitle="t" build={() => ({ title: "t", note: "", view: "", selectedFlow: null, flows: [] })} />));
    fireEvent.click(screen.getByRole("button", { name: "Share investigation" }));
    await waitUntil(() => screen.queryByTestId("share-audience") !== null, "the session to load");
    assert.match(screen.getByTestId("share-audience").textContent!, /^Listed for you and your groups \(shop-team\)/);
  });
});
