import { after, afterEach, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { JsonObject } from "@bufbuild/protobuf";
import { cleanup, fireEvent, render, screen } from "@testing-library/react";
import type { FlowReferenceView, InvestigationView } from "@/lib/api/investigations";
import type { SavedFlowsRead } from "@/lib/investigation";
import { DEFAULT_SETTINGS } from "@/lib/policy/types";
import { type PageServer, servePage } from "@/components/testing/server";
import { InvestigationBanner } from "./investigation-banner";

// The investigation page's banner over the browser's API client and real fetch: where its flows
// come from (a copy, the flow history, what retention left), the owner's delete and "compare with
// now", each error answer shown as the server's message.

afterEach(cleanup);

type Answer = { status: number; body?: unknown; headers?: Record<string, string> };
const answers = new Map<string, Answer>();
let server: PageServer;

before(async () => {
  server = await servePage((req, res) => {
    const a = answers.get(`${req.method} ${req.url}`);
    req.resume();
    req.on("end", () => {
      if (!a) return void res.writeHead(404).end();
      res.writeHead(a.status, { "content-type": "application/json", ...a.headers }).end(a.body === undefined ? undefined : JSON.stringify(a.body));
    });
  });
});

after(() => server.close());

const ID = "abcdefghijklmnopqrstuv";

function investigation(overrides: Partial<InvestigationView> = {}): InvestigationView {
  return {
    id: ID,
    title: "Checkout drops",
    note: "",
    view: "namespace=shop",
    selectedFlow: null,
    createdAt: "2026-01-15T10:00:00.000Z",
    flowCount: 3,
    flowSource: "copy",
    policies: { policies: [], namespaceLabels: {}, settings: DEFAULT_SETTINGS, version: 4, since: "2026-01-15T09:00:00.000Z" },
    owner: "alice",
    sharedWith: ["shop-team"],
    canDelete: false,
    ...overrides,
  };
}

const reference = (overrides: Partial<FlowReferenceView> = {}): FlowReferenceView => ({
  since: "2026-01-15T09:55:00.000Z",
  until: "2026-01-15T10:00:00.000Z",
  savedCount: 1234,
  history: "on",
  reachesBack: "2026-01-15T09:00:00.000Z",
  ...overrides,
});

const FLOW: JsonObject = {
  verdict: "DROPPED",
  drop_reason_desc: "POLICY_DENIED",
  source: { namespace: "shop", labels: ["k8s:app=web"], pod_name: "web-0" },
  destination: { namespace: "shop", labels: ["k8s:app=api"], pod_name: "api-0" },
  l4: { TCP: { destination_port: 8080 } },
  traffic_direction: "INGRESS",
};

describe("InvestigationBanner", () => {
  it("a copy: what was saved, by whom, and where to download it; no flow history note", () => {
    render(<InvestigationBanner investigation={investigation()} selected={undefined} />);
    assert.equal(screen.getByTestId("investigation-title").textContent, "Checkout drops");
    assert.match(screen.getByTestId("investigation-banner").textContent!, /3 flows · policies as of 15\/01\/2026, 09:00:00 UTC \(0 policies\)by alice/);
    assert.equal(screen.getByTestId("investigation-download").getAttribute("href"), `/api/investigations/${ID}/flows?download=1`);
    assert.equal(screen.queryByTestId("investigation-reference"), null);
    assert.equal(screen.queryByTestId("investigation-retention"), null);
    assert.equal(screen.queryByTestId("investigation-delete"), null, "only its owner may delete");
  });

  it("saved by reference, its flows still being read: where they come from, no claim how many remain", () => {
    render(
      <InvestigationBanner
        investigation={investigation({ flowSource: "reference", flowCount: 1234, reference: reference() })}
        selected={undefined}
        savedFlows={{ state: "reading" }}
      />,
    );
    assert.equal(
      screen.getByTestId("investigation-reference").textContent,
      "Flows read from the flow history: 1,234 flows from 15/01/2026, 09:55:00 UTC to 15/01/2026, 10:00:00 UTC when saved; reading them…",
    );
    assert.equal(screen.queryByTestId("investigation-retention"), null);
  });

  it("saved by reference, all flows still there (the read's count): says they are read from the flow history", () => {
    render(
      <InvestigationBanner
        investigation={investigation({ flowSource: "reference", flowCount: 1234, reference: reference() })}
        selected={undefined}
        savedFlows={{ state: "read", lines: 1234 }}
      />,
    );
    assert.equal(
      screen.getByTestId("investigation-reference").textContent,
      "Flows read from the flow history: 1,234 flows from 15/01/2026, 09:55:00 UTC to 15/01/2026, 10:00:00 UTC.",
    );
    assert.equal(screen.queryByTestId("investigation-retention"), null);
  });

  const statuses: { name: string; reference: FlowReferenceView; read: SavedFlowsRead; says: string }[] = [
    {
      name: "retention removed some: how many remain of the read, and how far back history reaches",
      reference: reference({ reachesBack: "2026-01-15T09:57:00.000Z" }),
      read: { state: "read", lines: 1000 },
      says: "1,000 of the 1,234 flows saved remain: retention has removed the others (the flow history now reaches back to 2026-01-15T09:57:00.000Z; this window starts 2026-01-15T09:55:00.000Z).",
    },
    {
      name: "flows recorded late: more than saved",
      reference: reference(),
      read: { state: "read", lines: 1300 },
      says: "1,300 of the 1,234 flows saved remain: the flow history now holds more flows of this window than when it was saved (flows recorded late).",
    },
    {
      name: "the read failed or was cut short: not known, never complete",
      reference: reference(),
      read: { state: "failed" },
      says: "The flow history could not be read just now, so it is not known how many of the 1,234 flows saved remain; reload to try again.",
    },
    {
      name: "history off on this server: said before the (empty) read ends",
      reference: reference({ history: "off", reachesBack: null }),
      read: { state: "reading" },
      says: "Flow history is off on this server: none of the 1,234 flows this investigation points at can be read.",
    },
  ];
  for (const c of statuses) {
    it(`${c.name}: a status`, () => {
      render(<InvestigationBanner investigation={investigation({ flowSource: "reference", reference: c.reference })} selected={undefined} savedFlows={c.read} />);
      const status = screen.getByRole("status");
      assert.equal(status.getAttribute("data-testid"), "investigation-retention");
      assert.equal(status.textContent, c.says);
      assert.equal(screen.queryByTestId("investigation-reference"), null);
    });
  }

  it("the owner deletes it after confirming; refused, the server's message", async () => {
    answers.set(`DELETE /api/investigations/${ID}`, { status: 403, body: { error: { code: "not-owner", message: "only the one who saved an investigation may delete it" } } });
    render(<InvestigationBanner investigation={investigation({ canDelete: true })} selected={undefined} />);
    fireEvent.click(screen.getByTestId("investigation-delete"));
    assert.equal(screen.getByTestId("investigation-delete").textContent, "Really delete?");
    fireEvent.click(screen.getByTestId("investigation-delete"));
    const alert = await screen.findByRole("alert");
    assert.equal(alert.textContent, " Could not delete: only the one who saved an investigation may delete it");

    answers.set(`DELETE /api/investigations/${ID}`, { status: 204 });
    fireEvent.click(screen.getByTestId("investigation-delete"));
    fireEvent.click(screen.getByTestId("investigation-delete"));
    assert.equal((await screen.findByTestId("investigation-deleted")).textContent, "Deleted: this link no longer opens it.");
    assert.equal(server.requests.filter((r) => r.startsWith("DELETE")).length, 2);
  });

  it("compare with now: today's explanation beside the saved one, with the policies' start", async () => {
    const now = {
      verdict: "denied",
      decision: "deny-rule",
      evidence: "policies",
      enforcementPoint: null,
      decisive: { kind: "CiliumNetworkPolicy", namespace: "shop", name: "api-ingress" },
      isolating: [],
      nearMisses: [],
      reason: "denied by shop/api-ingress",
      suggestion: null,
    };
    answers.set("POST /api/explain", { status: 200, body: now, headers: { "X-Hubble-Lens-Policy-Version": "5", "X-Hubble-Lens-Policy-Since": "2026-01-16T08:00:00.000Z" } });
    render(<InvestigationBanner investigation={investigation()} selected={FLOW} />);
    fireEvent.click(screen.getByRole("button", { name: "Compare with now" }));
    const result = await screen.findByTestId("compare-result");
    // Saved with no policies, the flow was allowed; today a deny rule drops it.
    assert.match(result.textContent!, /^When saved: allowed, /);
    assert.match(result.textContent!, /Now \(policies since 16\/01\/2026, 08:00:00 UTC\): denied, deny-rule \(CiliumNetworkPolicy shop\/api-ingress\)/);
    assert.match(result.textContent!, /denied by shop\/api-ingress/);
    assert.equal(screen.getByTestId("compare-verdict").textContent, "Today's policies would drop this flow.");
  });

  it("compare with now refused: the server's message in an alert", async () => {
    answers.set("POST /api/explain", { status: 409, body: { error: { code: "no-policies", message: "no policies are loaded yet; try again in a few seconds" } } });
    render(<InvestigationBanner investigation={investigation()} selected={FLOW} />);
    fireEvent.click(screen.getByRole("button", { name: "Compare with now" }));
    const alert = await screen.findByRole("alert");
    assert.equal(alert.textContent, "Could not explain against today's policies: no policies are loaded yet; try again in a few seconds");
  });
});
