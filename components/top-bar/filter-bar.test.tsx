import { afterEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { useState } from "react";
import { cleanup, fireEvent, render, screen, within } from "@testing-library/react";
import { formatFilterEntry, type FlowQuery } from "@/lib/filter-model";
import { FilterBar } from "./filter-bar";
import type { MapSelectionChip } from "./filter-chips";

afterEach(cleanup);

const EMPTY: FlowQuery = { namespaces: [], verdicts: [], filters: [] };

/** The bar as the page holds it: the query in state; every change recorded. */
function renderBar(initial: FlowQuery = EMPTY, selection?: MapSelectionChip) {
  const changes: FlowQuery[] = [];
  function Harness() {
    const [query, setQuery] = useState(initial);
    return (
      <FilterBar
        query={query}
        rows={[]}
        selection={selection}
        onQueryChange={(next) => {
          changes.push(next);
          setQuery(next);
        }}
      />
    );
  }
  render(<Harness />);
  const input = screen.getByRole("combobox", { name: "Filter flows" }) as HTMLInputElement;
  const chips = () => {
    const list = screen.queryByRole("list", { name: "Active filters" });
    return list
      ? within(list)
          .queryAllByRole("listitem")
          .map((li) => li.textContent)
      : [];
  };
  const type = (text: string) => fireEvent.change(input, { target: { value: text } });
  const press = (key: string) => fireEvent.keyDown(input, { key });
  return { input, changes, chips, type, press, last: () => changes[changes.length - 1] };
}

describe("FilterBar", () => {
  it("Enter adds the typed entry as a chip and clears the input", () => {
    const bar = renderBar();
    bar.type("to:port=443");
    bar.press("Enter");
    assert.deepEqual(bar.last().filters.map(formatFilterEntry), ["to:port=443"]);
    assert.deepEqual(bar.chips(), ["!to:port=443×"]);
    assert.equal(bar.input.value, "");
  });

  it("an entry already there changes nothing", () => {
    const bar = renderBar();
    bar.type("port=443");
    bar.press("Enter");
    bar.type("port=443");
    bar.press("Enter");
    assert.equal(bar.changes.length, 1);
    assert.equal(bar.chips().length, 1);
  });

  it("namespace= and verdict= go to their pickers, not to chips", () => {
    const bar = renderBar();
    bar.type("namespace=shop");
    bar.press("Enter");
    bar.type("verdict=DROPPED");
    bar.press("Enter");
    assert.deepEqual(bar.last(), { namespaces: ["shop"], verdicts: ["DROPPED"], filters: [] });
    assert.deepEqual(bar.chips(), []);
  });

  it("a malformed entry is refused with the reason; the text stays; Esc clears both", () => {
    const bar = renderBar();
    bar.type("bogus");
    bar.press("Enter");
    assert.equal(bar.changes.length, 0);
    assert.match(screen.getByRole("alert").textContent!, /missing "="/);
    assert.equal(bar.input.getAttribute("aria-invalid"), "true");
    assert.equal(bar.input.value, "bogus");
    bar.press("Escape"); // closes the suggestions first
    bar.press("Escape");
    assert.equal(screen.queryByRole("alert"), null);
    assert.equal(bar.input.value, "");
  });

  it("an entry that contradicts the namespace selection is refused", () => {
    const bar = renderBar({ namespaces: ["shop"], verdicts: [], filters: [] });
    bar.type("pod=other/x");
    bar.press("Enter");
    assert.equal(bar.changes.length, 0);
    assert.match(screen.getByRole("alert").textContent!, /outside the namespace selection/);
  });

  it("! flips a chip to an exclusion and back; × removes it", () => {
    const bar = renderBar();
    bar.type("pod=shop/cart");
    bar.press("Enter");
    const exclude = screen.getByRole("button", { name: "Exclude pod=shop/cart" });
    fireEvent.click(exclude);
    assert.equal(bar.last().filters[0].negated, true);
    assert.equal(screen.getByRole("button", { name: "Exclude pod=shop/cart" }).getAttribute("aria-pressed"), "true");
    fireEvent.click(screen.getByRole("button", { name: "Exclude pod=shop/cart" }));
    assert.equal(bar.last().filters[0].negated, false);
    fireEvent.click(screen.getByRole("button", { name: "Remove filter pod=shop/cart" }));
    assert.deepEqual(bar.last().filters, []);
    assert.deepEqual(bar.chips(), []);
  });

  it("Backspace in the empty input removes the last chip", () => {
    const bar = renderBar();
    for (const entry of ["port=443", "pod=shop/cart"]) {
      bar.type(entry);
      bar.press("Enter");
    }
    bar.press("Backspace");
    assert.deepEqual(bar.last().filters.map(formatFilterEntry), ["port=443"]);
  });

  it("suggestions: arrows move through them, Enter on a kind keeps typing from it", () => {
    const bar = renderBar();
    bar.type("po");
    const options = within(screen.getByRole("listbox", { name: "Filter suggestions" })).getAllByRole("option");
    assert.deepEqual(
      options.map((o) => o.textContent),
      ["pod=", "port="],
    );
    bar.press("ArrowDown");
    bar.press("ArrowDown");
    assert.equal(bar.input.getAttribute("aria-activedescendant"), options[1].id);
    assert.equal(options[1].getAttribute("aria-selected"), "true");
    bar.press("Enter");
    assert.equal(bar.input.value, "port=");
    assert.equal(bar.changes.length, 0);
  });

  it("a pasted hubble observe command replaces the query and names the flags that had no effect", () => {
    const bar = renderBar({ namespaces: [], verdicts: [], filters: [] });
    fireEvent.paste(bar.input, { clipboardData: { getData: () => "hubble observe --namespace shop \\\n  --verdict DROPPED --port 443 -o json --follow" } });
    assert.deepEqual(bar.last().namespaces, ["shop"]);
    assert.deepEqual(bar.last().verdicts, ["DROPPED"]);
    assert.deepEqual(bar.last().filters.map(formatFilterEntry), ["port=443"]);
    const notice = screen.getByRole("status");
    assert.match(notice.textContent!, /Filters set from the pasted hubble observe command\./);
    assert.match(notice.textContent!, /Ignored \(they do not change which flows match\): -o json, --follow/);
    fireEvent.click(within(notice).getByRole("button", { name: "Dismiss" }));
    assert.equal(screen.queryByRole("status"), null);
  });

  it("the map's selection shows as a chip whose × calls back", () => {
    let removed = 0;
    renderBar(EMPTY, { kind: "edge", text: "shop/frontend → shop/cart", onRemove: () => removed++ });
    const chip = screen.getByTestId("map-selection-chip");
    assert.match(chip.textContent!, /map edge/);
    assert.match(chip.textContent!, /shop\/frontend → shop\/cart/);
    fireEvent.click(within(chip).getByRole("button", { name: "Remove map edge selection shop/frontend → shop/cart" }));
    assert.equal(removed, 1);
  });

  it("a typed command that hubble would refuse says why and changes nothing", () => {
    const bar = renderBar({ namespaces: ["shop"], verdicts: [], filters: [] });
    bar.type("hubble observe --port abc");
    bar.press("Enter");
    assert.equal(bar.changes.length, 0);
    assert.match(screen.getByRole("alert").textContent!, /^Cannot use this hubble observe command: invalid --port value "abc"/);
    assert.equal(bar.input.value, "hubble observe --port abc");
    assert.equal(screen.queryByRole("status"), null);
  });

  it("typing after a refusal clears the message", () => {
    const bar = renderBar();
    bar.type("bogus");
    bar.press("Enter");
    assert.ok(screen.getByRole("alert"));
    bar.type("bogus=");
    assert.equal(screen.queryByRole("alert"), null);
    assert.equal(bar.input.getAttribute("aria-invalid"), null);
  });

  it("× on a chip gives the focus back to the input", () => {
    const bar = renderBar();
    bar.type("port=443");
    bar.press("Enter");
    const remove = screen.getByRole("button", { name: "Remove filter port=443" });
    remove.focus();
    fireEvent.click(remove);
    assert.equal(document.activeElement, bar.input);
  });

  it("Backspace removes nothing while the input holds text", () => {
    const bar = renderBar();
    bar.type("port=443");
    bar.press("Enter");
    bar.type("pod");
    bar.input.setSelectionRange(3, 3);
    bar.press("Backspace");
    assert.equal(bar.changes.length, 1);
    assert.deepEqual(bar.chips(), ["!port=443×"]);
  });

  describe("keyboard access to the suggestions", () => {
    const options = () => within(screen.getByRole("listbox", { name: "Filter suggestions" })).getAllByRole("option");
    const selected = () => options().findIndex((o) => o.getAttribute("aria-selected") === "true");

    it("ArrowUp from the input goes to the last suggestion; the arrows wrap around", () => {
      const bar = renderBar();
      bar.type("po");
      assert.equal(selected(), -1);
      bar.press("ArrowUp");
      assert.equal(selected(), 1);
      bar.press("ArrowDown");
      assert.equal(selected(), 0);
      bar.press("ArrowUp");
      bar.press("ArrowUp");
      assert.equal(selected(), 0);
    });

    it("Tab completes the highlighted suggestion into the input without adding it; with nothing highlighted it moves on", () => {
      const bar = renderBar();
      bar.type("verdict=DR");
      bar.press("ArrowDown");
      const tab = fireEvent.keyDown(bar.input, { key: "Tab" });
      assert.equal(tab, false, "the key is taken (default prevented)");
      assert.equal(bar.input.value, "verdict=DROPPED");
      assert.equal(bar.changes.length, 0);
      assert.equal(fireEvent.keyDown(bar.input, { key: "Tab" }), true, "nothing highlighted: Tab leaves the input as usual");
    });

    it("Enter on a whole entry adds it and closes nothing else", () => {
      const bar = renderBar();
      bar.type("verdict=DR");
      bar.press("ArrowDown");
      bar.press("Enter");
      assert.deepEqual(bar.last().verdicts, ["DROPPED"]);
      assert.equal(bar.input.value, "");
    });

    it("a click on a suggestion adds it", () => {
      const bar = renderBar();
      bar.type("protocol=ud");
      fireEvent.click(options()[0]);
      assert.deepEqual(bar.last().filters.map(formatFilterEntry), ["protocol=udp"]);
    });

    it("entries already in the query are not suggested", () => {
      const bar = renderBar();
      bar.type("verdict=DROPPED");
      bar.press("Enter");
      bar.type("verdict=");
      assert.ok(!options().some((o) => o.textContent === "verdict=DROPPED"));
      assert.ok(options().some((o) => o.textContent === "verdict=FORWARDED"));
    });

    it("Esc closes the list first without reaching the page's own Esc, then clears the text", () => {
      const bar = renderBar();
      let pageEsc = 0;
      const onPageKey = (e: KeyboardEvent) => {
        if (e.key === "Escape") pageEsc++;
      };
      document.addEventListener("keydown", onPageKey);
      try {
        bar.type("po");
        bar.press("Escape");
        assert.equal(bar.input.getAttribute("aria-expanded"), "false");
        assert.equal(screen.queryByRole("listbox"), null);
        assert.equal(bar.input.value, "po");
        bar.press("Escape");
        assert.equal(bar.input.value, "");
        assert.equal(pageEsc, 0);
        bar.press("Escape");
        assert.equal(pageEsc, 1, "with nothing to close or clear, Esc is the page's");
      } finally {
        document.removeEventListener("keydown", onPageKey);
      }
    });
  });
});
