import { afterEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { cleanup, fireEvent, render, screen, within } from "@testing-library/react";
import type { DropGroup, DropGroups } from "@/lib/drops";
import { formatFilterEntry, parseFilterEntry } from "@/lib/filter-model";
import { defaultViewState, type ViewState } from "@/lib/view-state";
import { testQueryClient, withQueryClient } from "@/components/testing/queries";
import { DropsView } from "./drops-view";
import type { PoliciesResponse } from "./use-policies";
import type { PolicyExplainer } from "./use-policy-explainer";
import { NO_POLICIES_TEXT } from "./policy-status";

afterEach(cleanup);

const WINDOW = { startMs: Date.UTC(2024, 0, 1), endMs: Date.UTC(2024, 0, 1, 0, 5) };

function group(key: string, label: string, count: number, select: DropGroup["select"]): DropGroup {
  return { key, label, title: label, count, dropped: count, audited: 0, buckets: [0, count, 0], select };
}

const GROUPS: DropGroups = {
  total: 7,
  unattributed: 2,
  byPolicy: [group("p:shop/default-deny", "shop/default-deny", 5, { kind: "policy", policy: "p:shop/default-deny" }), group("none", "(no policy named)", 2, undefined)],
  byReason: [group("POLICY_DENIED", "POLICY_DENIED", 7, { kind: "reason", reason: "POLICY_DENIED" })],
  byNamespacePair: [group("shop→db", "shop → db", 7, { kind: "namespaces", from: "shop", to: "db" })],
  window: WINDOW,
};

/** Only what the view reads when the server counted the groups: the policies' state and history. */
function explainer(source: PoliciesResponse["source"] = "none", history?: PoliciesResponse["history"]): PolicyExplainer {
  const data = { source, status: { state: "ready", message: null }, version: 1, since: "", policies: [], problems: [], history } as unknown as PoliciesResponse;
  return {
    policies: { state: "ready", error: undefined, data, compiled: undefined, version: `${source}:1` },
    attribution: () => ({ policies: [] }),
  } as unknown as PolicyExplainer;
}

function renderDrops(serverGroups: DropGroups | null, view: ViewState = defaultViewState(), history?: PoliciesResponse["history"]) {
  const changes: ViewState[] = [];
  let closed = 0;
  // The version before each change, as GET /api/policies?at= would answer: none fetched here.
  const client = testQueryClient();
  for (const c of history ?? []) client.setQueryData(["policies-before", c.version], explainer("directory").policies.data);
  render(
    withQueryClient(
      <DropsView
        rows={[]}
        raw={new Map()}
        explainer={explainer(history ? "directory" : "none", history)}
        view={view}
        serverGroups={serverGroups}
        onChange={(v) => changes.push(v)}
        onClose={() => closed++}
      />,
      client,
    ),
  );
  const section = (name: string) => screen.getByRole("region", { name });
  return { changes, closed: () => closed, section };
}

describe("DropsView", () => {
  it("says how many drops are in view and how many no policy explains", () => {
    renderDrops(GROUPS);
    assert.match(screen.getByTestId("drops-view").textContent!, /7 dropped or audited flows in view · 2 not charged to a policy\./);
    assert.match(screen.getByTestId("policy-none").textContent!, new RegExp(NO_POLICIES_TEXT.slice(0, 20)));
  });

  it("lists the groups with their counts; a group no filter can select is disabled", () => {
    const { section } = renderDrops(GROUPS);
    const rows = within(section("By policy")).getAllByTestId("drops-row");
    assert.deepEqual(
      rows.map((r) => r.textContent),
      // label, count, and the sparkline's title (the window is 5 minutes)
      ["shop/default-deny5Over the last 300 s of the window", "(no policy named)2Over the last 300 s of the window"],
    );
    assert.equal((rows[0] as HTMLButtonElement).disabled, false);
    assert.equal((rows[1] as HTMLButtonElement).disabled, true);
  });

  it("with no drops, every grouping says so", () => {
    renderDrops({ total: 0, unattributed: 0, byPolicy: [], byReason: [], byNamespacePair: [], window: WINDOW });
    assert.equal(screen.getAllByText("No drops in view.").length, 3);
    assert.match(screen.getByTestId("drops-view").textContent!, /0 dropped or audited flows in view\./);
  });

  it("a reason row filters the view by it and clears the open flow and map focus", () => {
    const { changes, section } = renderDrops(GROUPS, { ...defaultViewState(), flow: "u1", node: "shop/cart" });
    fireEvent.click(within(section("By drop reason")).getByTestId("drops-row"));
    assert.equal(changes.length, 1);
    assert.deepEqual(changes[0].query.filters.map(formatFilterEntry), ["drop-reason=POLICY_DENIED"]);
    assert.equal(changes[0].flow, undefined);
    assert.equal(changes[0].node, undefined);
  });

  it("a namespace pair narrows both sides and, with no verdict chosen, to drops and audits", () => {
    const { changes, section } = renderDrops(GROUPS);
    fireEvent.click(within(section("By namespace pair")).getByTestId("drops-row"));
    assert.deepEqual(changes[0].query.filters.map(formatFilterEntry), ["from:namespace=shop", "to:namespace=db"]);
    assert.deepEqual(changes[0].query.verdicts, ["DROPPED", "AUDIT"]);
  });

  it("the selection in force shows pressed; a policy row toggles the policy filter", () => {
    const view: ViewState = {
      ...defaultViewState(),
      query: { namespaces: [], verdicts: [], filters: [parseFilterEntry("drop-reason=POLICY_DENIED")] },
      policy: "p:shop/default-deny",
    };
    const { changes, section } = renderDrops(GROUPS, view);
    assert.equal(within(section("By drop reason")).getByTestId("drops-row").getAttribute("aria-pressed"), "true");
    const policyRow = within(section("By policy")).getAllByTestId("drops-row")[0];
    assert.equal(policyRow.getAttribute("aria-pressed"), "true");
    fireEvent.click(policyRow);
    assert.equal(changes[0].policy, undefined);
  });

  it("a group that cannot become a filter says so instead of changing the view", () => {
    const odd: DropGroups = { ...GROUPS, byReason: [group("x", "has spaces", 1, { kind: "reason", reason: "has spaces, and=signs" })] };
    const { changes, section } = renderDrops(odd);
    fireEvent.click(within(section("By drop reason")).getByTestId("drops-row"));
    assert.equal(changes.length, 0);
    assert.match(screen.getByText(/cannot be turned into a filter/).textContent!, /"has spaces" cannot be turned into a filter\./);
  });

  describe("policy changes", () => {
    const iso = (ms: number) => new Date(ms).toISOString();
    const load = { version: 1, since: iso(WINDOW.startMs - 60_000), added: ["CiliumNetworkPolicy/shop/a"], changed: [], removed: [] };
    // Made after the last drop the server counted: its groups end before it.
    const added = { version: 2, since: iso(WINDOW.endMs + 10_000), added: ["CiliumNetworkPolicy/shop/b"], changed: [], removed: [] };
    const listed = () => screen.queryByTestId("policy-changes");

    it("a live window lists a change made after the last drop the server counted", () => {
      renderDrops(GROUPS, defaultViewState(), [load, added]);
      assert.match(listed()!.textContent!, /version 2.*added shop\/b: 0 drops since \(0 before\)/);
      assert.doesNotMatch(listed()!.textContent!, /version 1/, "the initial load is not a change");
      assert.equal(screen.getByTestId("policy-change-caused").textContent, "caused none of the 0 drops since: the version before it drops them too");
    });

    it("a window with an end leaves out a change after it", () => {
      const view = defaultViewState();
      renderDrops(GROUPS, { ...view, query: { ...view.query, since: iso(WINDOW.startMs), until: iso(WINDOW.endMs) } }, [load, added]);
      assert.equal(listed(), null);
    });

    it("lists nothing before the server's groups arrive", () => {
      renderDrops(null, defaultViewState(), [load, added]);
      assert.equal(listed(), null);
    });
  });

  it("✕ closes it", () => {
    const { closed } = renderDrops(GROUPS);
    fireEvent.click(screen.getByRole("button", { name: "Close the Drops view" }));
    assert.equal(closed(), 1);
  });
});
