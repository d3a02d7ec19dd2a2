import { afterEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import type { JsonObject } from "@bufbuild/protobuf";
import { cleanup, fireEvent, render, screen, within } from "@testing-library/react";
import { formatFilterEntry, type FilterEntry } from "@/lib/filter-model/entry";
import { toJsonpbLine } from "@/lib/export/jsonpb";
import { waitUntil } from "@/lib/testing/wait";
import { FlowDrawer } from "./flow-drawer";

afterEach(cleanup);

function drop(overrides: JsonObject = {}): JsonObject {
  return {
    time: "2024-01-01T00:00:01Z",
    uuid: "u1",
    verdict: "DROPPED",
    drop_reason_desc: "POLICY_DENIED",
    IP: { source: "10.0.0.1", destination: "10.0.0.2", ipVersion: "IPv4" },
    l4: { TCP: { source_port: 40000, destination_port: 8080 } },
    source: { namespace: "shop", pod_name: "frontend-1", labels: ["k8s:app=frontend"] },
    destination: { namespace: "shop", pod_name: "cart-1", labels: ["k8s:app=cart"] },
    node_name: "n1",
    Type: "L3_L4",
    traffic_direction: "EGRESS",
    ...overrides,
  };
}

function renderDrawer(raw: JsonObject | undefined, extra: { policySlot?: React.ReactNode; notFound?: React.ReactNode } = {}) {
  const added: FilterEntry[] = [];
  let closed = 0;
  render(<FlowDrawer raw={raw} row={undefined} onClose={() => closed++} onAddFilter={(e) => added.push(e)} {...extra} />);
  return { added, closed: () => closed, dialog: screen.getByRole("dialog", { name: "Flow details" }) };
}

const headings = () => screen.getAllByRole("heading", { level: 3 }).map((h) => h.textContent);

describe("FlowDrawer", () => {
  it("says why there is no flow when there is none", () => {
    renderDrawer(undefined, { notFound: "The relay no longer holds this flow." });
    assert.match(screen.getByRole("dialog").textContent!, /The relay no longer holds this flow\./);
    assert.equal(screen.queryByRole("button", { name: "Copy raw JSON line" }), null);
  });

  it("shows the flow's sections, its headline and its raw jsonpb line", () => {
    const raw = drop();
    const { dialog } = renderDrawer(raw);
    assert.deepEqual(headings().slice(0, 4), ["Summary", "Source", "Destination", "L4"]);
    assert.match(dialog.textContent!, /shop\/frontend-1 → shop\/cart-1/);
    assert.equal(dialog.querySelector("pre")!.textContent, toJsonpbLine(raw));
  });

  it("with a policy explanation, a drop shows its Policy section first, with the explanation in it", () => {
    renderDrawer(drop(), { policySlot: <p>Denied by default-deny</p> });
    assert.equal(headings()[0], "Policy");
    const policy = screen.getByRole("region", { name: "Policy" });
    assert.match(policy.textContent!, /Denied by default-deny/);
  });

  it("a forwarded flow keeps the usual order", () => {
    renderDrawer(drop({ verdict: "FORWARDED", drop_reason_desc: undefined as never }), { policySlot: <p>explained</p> });
    assert.equal(headings()[0], "Summary");
  });

  it("Filter adds exactly that value's entry and says so", async () => {
    const { added } = renderDrawer(drop());
    fireEvent.click(screen.getByRole("button", { name: "Filter: to:pod=shop/cart-1" }));
    assert.deepEqual(added.map(formatFilterEntry), ["to:pod=shop/cart-1"]);
    await waitUntil(() => /Filter to:pod=shop\/cart-1 added\./.test(screen.getByRole("status").textContent!), "the announcement");
  });

  it("Copy puts the value on the clipboard, and says when the browser refuses", async () => {
    const written: string[] = [];
    let refuse = false;
    Object.defineProperty(navigator, "clipboard", {
      configurable: true,
      value: { writeText: async (text: string) => (refuse ? Promise.reject(new Error("denied")) : void written.push(text)) },
    });
    renderDrawer(drop());
    const destination = screen.getByRole("region", { name: "Destination" });
    fireEvent.click(within(destination).getByRole("button", { name: "Copy Pod" }));
    await waitUntil(() => written.length === 1, "the copy");
    assert.deepEqual(written, ["cart-1"]);
    await waitUntil(() => screen.getByRole("status").textContent === "Pod copied.", "the announcement");
    refuse = true;
    fireEvent.click(screen.getByRole("button", { name: "Copy raw JSON line" }));
    await waitUntil(() => /Could not copy Raw JSON/.test(screen.getByRole("status").textContent!), "the refusal");
  });

  it("Esc closes it, unless something inside handled the key already", () => {
    const { dialog, closed } = renderDrawer(drop());
    fireEvent.keyDown(dialog, { key: "Escape" });
    assert.equal(closed(), 1);
    const handled = new KeyboardEvent("keydown", { key: "Escape", bubbles: true, cancelable: true });
    handled.preventDefault();
    dialog.dispatchEvent(handled);
    assert.equal(closed(), 1);
    fireEvent.click(screen.getByRole("button", { name: "Close flow details" }));
    assert.equal(closed(), 2);
  });

  it("renders hostile flow text as text, never as markup", () => {
    const { dialog } = renderDrawer(drop({ destination: { namespace: "shop", pod_name: '<img src=x onerror="alert(1)">', labels: [] } }));
    assert.equal(dialog.querySelector("img"), null);
    assert.match(dialog.textContent!, /<img src=x onerror="alert\(1\)">/);
  });

  it("Exclude adds the value's negation; values no entry can select have no Filter or Exclude", () => {
    const { added } = renderDrawer(drop());
    fireEvent.click(screen.getByRole("button", { name: "Exclude: !from:pod=shop/frontend-1" }));
    assert.deepEqual(added.map(formatFilterEntry), ["!from:pod=shop/frontend-1"]);
    const summary = screen.getByRole("region", { name: "Summary" });
    assert.ok(within(summary).getByRole("button", { name: "Copy Time" }));
    assert.equal(within(summary).queryByRole("button", { name: /^Filter: .*2024/ }), null, "no entry selects a time");
  });

  it("takes the focus when it opens and when it shows another flow, and gives it back when it closes", () => {
    const opener = document.createElement("button");
    opener.textContent = "row";
    document.body.append(opener);
    opener.focus();
    try {
      const props = { row: undefined, onClose: () => {}, onAddFilter: () => {} };
      const { rerender, unmount } = render(<FlowDrawer raw={drop()} {...props} />);
      const dialog = screen.getByRole("dialog", { name: "Flow details" });
      assert.equal(document.activeElement, dialog);
      screen.getByRole("button", { name: "Close flow details" }).focus();
      rerender(<FlowDrawer raw={drop({ uuid: "u2" })} {...props} />);
      assert.equal(document.activeElement, dialog, "another flow: focus back at the top of the drawer");
      unmount();
      assert.equal(document.activeElement, opener);
    } finally {
      opener.remove();
    }
  });

  it("a click elsewhere keeps its focus when the drawer closes", () => {
    const elsewhere = document.createElement("input");
    document.body.append(elsewhere);
    try {
      const { unmount } = render(<FlowDrawer raw={drop()} row={undefined} onClose={() => {}} onAddFilter={() => {}} />);
      elsewhere.focus();
      unmount();
      assert.equal(document.activeElement, elsewhere);
    } finally {
      elsewhere.remove();
    }
  });
});
