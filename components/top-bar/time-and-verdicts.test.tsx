import { afterEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { cleanup, fireEvent, render, screen, within } from "@testing-library/react";
import type { VerdictName } from "@/lib/filter-model";
import { TimeWindow } from "./time-window";
import { VerdictToggles } from "./verdict-toggles";
import { toDateTimeLocal } from "./format";

afterEach(cleanup);

describe("VerdictToggles", () => {
  function renderToggles(value: VerdictName[]) {
    const changes: VerdictName[][] = [];
    render(<VerdictToggles value={value} onChange={(next) => changes.push(next)} />);
    const button = (name: string) => within(screen.getByRole("group", { name: "Verdicts" })).getByRole("button", { name });
    return { changes, button };
  }

  it("shows the selected verdicts pressed", () => {
    const { button } = renderToggles(["DROPPED"]);
    assert.equal(button("Dropped").getAttribute("aria-pressed"), "true");
    assert.equal(button("Forwarded").getAttribute("aria-pressed"), "false");
  });

  it("adding a verdict keeps the offered order whatever the click order", () => {
    const { changes, button } = renderToggles(["ERROR"]);
    fireEvent.click(button("Forwarded"));
    assert.deepEqual(changes, [["FORWARDED", "ERROR"]]);
  });

  it("a pressed verdict is removed; verdicts the toggles do not offer are kept", () => {
    const { changes, button } = renderToggles(["TRACED" as VerdictName, "DROPPED"]);
    fireEvent.click(button("Dropped"));
    fireEvent.click(button("Audit"));
    assert.deepEqual(changes, [["TRACED"], ["TRACED", "DROPPED", "AUDIT"]]);
  });
});

describe("TimeWindow", () => {
  function renderWindow(since?: string, until?: string, paused = false) {
    const windows: [string | undefined, string | undefined][] = [];
    const pauses: boolean[] = [];
    render(<TimeWindow since={since} until={until} paused={paused} onWindowChange={(s, u) => windows.push([s, u])} onPauseChange={(p) => pauses.push(p)} />);
    const group = () => screen.getByRole("group", { name: "Time window" });
    return { windows, pauses, group };
  }

  it("presses the window in force: live, a relative window, or one it does not offer", () => {
    renderWindow();
    assert.equal(screen.getByRole("button", { name: "Live" }).getAttribute("aria-pressed"), "true");
    cleanup();
    renderWindow("15m");
    assert.equal(screen.getByRole("button", { name: "15m" }).getAttribute("aria-pressed"), "true");
    assert.equal(screen.getByRole("button", { name: "Live" }).getAttribute("aria-pressed"), "false");
    cleanup();
    renderWindow("2h");
    assert.equal(screen.getByRole("button", { name: "2h" }).getAttribute("aria-pressed"), "true");
  });

  it("a click picks the window; Pause and Resume toggle", () => {
    const { windows, pauses } = renderWindow("5m", undefined, false);
    fireEvent.click(screen.getByRole("button", { name: "1h" }));
    fireEvent.click(screen.getByRole("button", { name: "Live" }));
    assert.deepEqual(windows, [
      ["1h", undefined],
      [undefined, undefined],
    ]);
    fireEvent.click(screen.getByRole("button", { name: /Pause/ }));
    assert.deepEqual(pauses, [true]);
  });

  it("a custom window is checked before it applies, and applied as UTC times", () => {
    const { windows } = renderWindow();
    fireEvent.click(screen.getByRole("button", { name: "Custom" }));
    const dialog = screen.getByRole("dialog", { name: "Custom time window" });
    const since = within(dialog).getByLabelText("Since (local time)") as HTMLInputElement;
    const until = within(dialog).getByLabelText(/Until/) as HTMLInputElement;
    const apply = within(dialog).getByRole("button", { name: "Apply" });

    fireEvent.change(since, { target: { value: toDateTimeLocal("2026-01-01T10:00:00Z") } });
    fireEvent.change(until, { target: { value: toDateTimeLocal("2026-01-01T09:00:00Z") } });
    fireEvent.click(apply);
    assert.equal(within(dialog).getByRole("alert").textContent, "The end must come after the start.");

    fireEvent.change(since, { target: { value: toDateTimeLocal(new Date(Date.now() + 3600_000).toISOString()) } });
    fireEvent.change(until, { target: { value: "" } });
    fireEvent.click(apply);
    assert.equal(within(dialog).getByRole("alert").textContent, "The start lies in the future.");
    assert.equal(windows.length, 0);

    fireEvent.change(since, { target: { value: toDateTimeLocal("2026-01-01T10:00:00Z") } });
    fireEvent.change(until, { target: { value: toDateTimeLocal("2026-01-01T10:30:00Z") } });
    fireEvent.click(apply);
    assert.deepEqual(windows, [["2026-01-01T10:00:00Z", "2026-01-01T10:30:00Z"]]);
    assert.equal(screen.queryByRole("dialog"), null, "closed once applied");
  });
});
