import { afterEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { cleanup, fireEvent, render, screen } from "@testing-library/react";
import { useState } from "react";
import { ColumnPicker } from "./column-picker";
import { COLUMN_IDS, COLUMNS, COLUMNS_STORAGE_KEY, DEFAULT_COLUMNS, type ColumnId } from "./columns";
import { useColumnChoice } from "./use-column-choice";

afterEach(() => {
  cleanup();
  localStorage.clear();
});

/** The picker as the table holds it: its choice in state; every change it reports is recorded. */
function renderPicker(initial: readonly ColumnId[]) {
  const changes: (readonly ColumnId[])[] = [];
  function Holder() {
    const [visible, setVisible] = useState(initial);
    return (
      <ColumnPicker
        visible={visible}
        onChange={(next) => {
          changes.push(next);
          setVisible(next);
        }}
      />
    );
  }
  render(<Holder />);
  return changes;
}

/** The table's own choice: useColumnChoice (localStorage) feeding the picker. */
function ChosenColumns() {
  const [visible, setVisible] = useColumnChoice();
  return (
    <>
      <ColumnPicker visible={visible} onChange={setVisible} />
      <output aria-label="Visible columns">{visible.join(",")}</output>
    </>
  );
}

const button = () => screen.getByRole("button", { name: "Columns" });
const menu = () => screen.queryByRole("menu", { name: "Table columns" });
const item = (header: string) => screen.getByRole("menuitemcheckbox", { name: header });
const checkedHeaders = () =>
  screen
    .getAllByRole("menuitemcheckbox")
    .filter((e) => e.getAttribute("aria-checked") === "true")
    .map((e) => e.textContent!.replace("✓", ""));

describe("ColumnPicker", () => {
  it("a click opens a menu of every column in table order, ticked when shown, the first one focused", () => {
    renderPicker(["time", "verdict", "node"]);
    assert.equal(button().getAttribute("aria-haspopup"), "menu");
    assert.equal(button().getAttribute("aria-expanded"), "false");
    assert.equal(menu(), null);
    fireEvent.click(button());
    assert.equal(button().getAttribute("aria-expanded"), "true");
    assert.equal(button().getAttribute("aria-controls"), menu()!.id);
    assert.deepEqual(
      screen.getAllByRole("menuitemcheckbox").map((e) => e.textContent!.replace("✓", "")),
      COLUMN_IDS.map((id) => COLUMNS[id].header),
    );
    assert.deepEqual(checkedHeaders(), ["Time (UTC)", "Verdict", "Node"]);
    assert.equal(document.activeElement, item("Time (UTC)"));
  });

  it("choosing a column adds it in its table place, not at the end; choosing a shown one hides it", () => {
    const changes = renderPicker(["time", "verdict"]);
    fireEvent.click(button());
    fireEvent.click(item("Source"));
    fireEvent.click(item("Verdict"));
    assert.deepEqual(changes, [
      ["time", "source", "verdict"],
      ["time", "source"],
    ]);
    assert.deepEqual(checkedHeaders(), ["Time (UTC)", "Source"]);
  });

  it("the last shown column cannot be hidden", () => {
    const changes = renderPicker(["verdict"]);
    fireEvent.click(button());
    assert.equal(item("Verdict").getAttribute("aria-disabled"), "true");
    assert.equal(item("Source").getAttribute("aria-disabled"), null);
    fireEvent.click(item("Verdict"));
    fireEvent.keyDown(menu()!, { key: "End" });
    fireEvent.keyDown(menu()!, { key: "Home" });
    for (let i = 0; i < COLUMN_IDS.indexOf("verdict"); i++) fireEvent.keyDown(menu()!, { key: "ArrowDown" });
    assert.equal(document.activeElement, item("Verdict"));
    fireEvent.keyDown(menu()!, { key: " " });
    assert.deepEqual(changes, []);
    assert.deepEqual(checkedHeaders(), ["Verdict"]);
  });

  it("by keyboard: ↓ on the button opens it, ↑/↓ move round the items, Home/End jump, Space and Enter toggle the focused one", () => {
    const changes = renderPicker(["time", "source"]);
    button().focus();
    fireEvent.keyDown(button(), { key: "ArrowDown" });
    assert.ok(menu(), "↓ opens the menu");
    assert.equal(document.activeElement, item("Time (UTC)"));
    fireEvent.keyDown(menu()!, { key: "ArrowUp" });
    assert.equal(document.activeElement, item("Event"), "↑ from the first wraps to the last");
    fireEvent.keyDown(menu()!, { key: "ArrowDown" });
    assert.equal(document.activeElement, item("Time (UTC)"), "↓ from the last wraps to the first");
    fireEvent.keyDown(menu()!, { key: "ArrowDown" });
    fireEvent.keyDown(menu()!, { key: "ArrowDown" });
    assert.equal(document.activeElement, item("Destination"));
    fireEvent.keyDown(menu()!, { key: " " });
    fireEvent.keyDown(menu()!, { key: "End" });
    assert.equal(document.activeElement, item("Event"));
    fireEvent.keyDown(menu()!, { key: "Enter" });
    fireEvent.keyDown(menu()!, { key: "Home" });
    fireEvent.keyDown(menu()!, { key: "Enter" });
    assert.deepEqual(changes, [
      ["time", "source", "destination"],
      ["time", "source", "destination", "eventType"],
      ["source", "destination", "eventType"],
    ]);
    assert.ok(menu(), "toggling keeps the menu open");
  });

  it("Esc closes it and gives focus back to the button; Tab closes it and lets focus move on", () => {
    renderPicker(DEFAULT_COLUMNS);
    fireEvent.click(button());
    const esc = fireEvent.keyDown(menu()!, { key: "Escape" });
    assert.equal(menu(), null);
    assert.equal(document.activeElement, button());
    assert.equal(esc, false, "Esc is handled here, not by the page (which would close the drawer)");

    fireEvent.click(button());
    const tab = fireEvent.keyDown(menu()!, { key: "Tab" });
    assert.equal(menu(), null);
    assert.equal(tab, true, "Tab keeps its default: focus moves to the next control");
  });

  it("a press outside closes it; a press inside does not", () => {
    renderPicker(DEFAULT_COLUMNS);
    fireEvent.click(button());
    fireEvent.pointerDown(item("Port"));
    assert.ok(menu());
    fireEvent.pointerDown(document.body);
    assert.equal(menu(), null);
  });

  it("the table's choice is kept in localStorage and restored; a stored value it cannot read gives the default", () => {
    render(<ChosenColumns />);
    const shown = () => screen.getByRole("status", { name: "Visible columns" }).textContent;
    assert.equal(shown(), DEFAULT_COLUMNS.join(","));
    fireEvent.click(button());
    fireEvent.click(item("Node"));
    fireEvent.click(item("L7"));
    const stored = COLUMN_IDS.filter((id) => id !== "l7");
    assert.deepEqual(JSON.parse(localStorage.getItem(COLUMNS_STORAGE_KEY)!), stored);
    cleanup();

    render(<ChosenColumns />);
    assert.equal(shown(), stored.join(","), "restored after a reload");
    cleanup();

    localStorage.setItem(COLUMNS_STORAGE_KEY, '{"not":"a list"}');
    render(<ChosenColumns />);
    assert.equal(shown(), DEFAULT_COLUMNS.join(","));
  });
});
