import { after, afterEach, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { cleanup, fireEvent, render, screen } from "@testing-library/react";
import { waitUntil } from "@/lib/testing/wait";
import { withQueryClient } from "@/components/testing/queries";
import { type PageServer, servePage } from "@/components/testing/server";
import { NamespacePicker } from "./namespace-picker";

// The namespace picker over the browser's API client and real fetch, against a small HTTP server
// that answers /api/namespaces the way the route does, or the way a proxy does when it fails.

afterEach(cleanup);

type Answer = { status: number; type: string; body: string };
let answer: Answer;
let server: PageServer;

const ok = (namespaces: Array<{ cluster: string; namespace: string }>): Answer => ({ status: 200, type: "application/json", body: JSON.stringify({ namespaces }) });

before(async () => {
  server = await servePage((req, res) => {
    if (req.url !== "/api/namespaces") res.writeHead(404).end();
    else res.writeHead(answer.status, { "content-type": answer.type }).end(answer.body);
  });
});

after(() => server.close());

function open(value: string[] = [], onChange: (next: string[]) => void = () => {}) {
  render(withQueryClient(<NamespacePicker value={value} onChange={onChange} />));
  fireEvent.click(screen.getByRole("button", { name: /^Namespaces:/ }));
}

const optionTexts = () => screen.getAllByRole("option").map((o) => o.textContent);

describe("NamespacePicker", () => {
  it("lists the relay's namespaces with their clusters, and a selected one it did not list as without recent flows", async () => {
    answer = ok([
      { cluster: "east", namespace: "shop" },
      { cluster: "west", namespace: "shop" },
      { cluster: "east", namespace: "kube-system" },
    ]);
    open(["payments"]);
    await waitUntil(() => screen.queryAllByRole("option").length === 4, "the namespaces to load");
    assert.deepEqual(optionTexts(), ["All namespaces", "kube-systemeast", "✓paymentsno recent flows", "shopeast, west"]);
  });

  it("a name the relay did not list can be added when it is a valid namespace, not otherwise", async () => {
    answer = ok([{ cluster: "", namespace: "shop" }]);
    const changes: string[][] = [];
    open([], (next) => changes.push(next));
    await waitUntil(() => screen.queryAllByRole("option").length === 2, "the namespaces to load");
    const search = screen.getByRole("combobox", { name: "Search namespaces" });
    fireEvent.change(search, { target: { value: "Not_A_Namespace" } });
    assert.equal(screen.queryByText(/^Add/), null);
    fireEvent.change(search, { target: { value: "billing" } });
    fireEvent.click(screen.getByText("billing"));
    assert.deepEqual(changes, [["billing"]]);
  });

  it("a relay error: the server's message in an alert, and Retry asks again", async () => {
    answer = { status: 503, type: "application/json", body: JSON.stringify({ error: { code: "relay-unavailable", message: "Hubble Relay is not reachable." } }) };
    open();
    const alert = await findAlert();
    assert.match(alert.textContent!, /Couldn’t load namespaces from the relay: Hubble Relay is not reachable\./);
    assert.match(alert.textContent!, /You can still type a namespace name to add it\./);
    answer = ok([{ cluster: "", namespace: "shop" }]);
    const before = server.requests.length;
    fireEvent.click(screen.getByRole("button", { name: "Retry" }));
    await waitUntil(() => screen.queryByRole("alert") === null && screen.queryAllByRole("option").length === 2, "the retried list");
    assert.deepEqual(server.requests.slice(before), ["GET /api/namespaces"]);
  });

  it("a proxy's HTML 502: a message that says what came back, not a JSON parse error", async () => {
    answer = { status: 502, type: "text/html", body: "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>" };
    open();
    const alert = await findAlert();
    assert.match(alert.textContent!, /GET \/api\/namespaces failed: HTTP 502 Bad Gateway, with an HTML page titled "502 Bad Gateway"/);
    assert.doesNotMatch(alert.textContent!, /JSON|Unexpected token/);
  });
});

async function findAlert(): Promise<HTMLElement> {
  await waitUntil(() => screen.queryByRole("alert") !== null, "the error alert");
  return screen.getByRole("alert");
}
