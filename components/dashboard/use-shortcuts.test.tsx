import { afterEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { cleanup, fireEvent, render, screen } from "@testing-library/react";
import { useRef } from "react";
import { useShortcuts } from "./use-shortcuts";

afterEach(cleanup);

/** A page with a filter input, another text field, a button and a plain element, and the shortcuts. */
function renderPage() {
  const calls = { escape: 0, pause: 0 };
  function Page() {
    const filterInput = useRef<HTMLInputElement>(null);
    useShortcuts({ filterInput, onEscape: () => calls.escape++, onTogglePause: () => calls.pause++ });
    return (
      <div>
        <input aria-label="Filter flows" ref={filterInput} />
        <input aria-label="Title" />
        <button type="button">Share</button>
        <div role="button" tabIndex={0}>
          Row
        </div>
        <p>Text</p>
      </div>
    );
  }
  render(<Page />);
  return calls;
}

describe("useShortcuts", () => {
  it("/ focuses the filter input and is not typed anywhere", () => {
    renderPage();
    const key = fireEvent.keyDown(screen.getByText("Text"), { key: "/" });
    assert.equal(key, false, "default prevented");
    assert.equal(document.activeElement, screen.getByLabelText("Filter flows"));
  });

  it("/ typed into a text field is the field's", () => {
    renderPage();
    const title = screen.getByLabelText("Title");
    title.focus();
    assert.equal(fireEvent.keyDown(title, { key: "/" }), true);
    assert.equal(document.activeElement, title);
  });

  it("space pauses and resumes, except on a button or in a field", () => {
    const calls = renderPage();
    fireEvent.keyDown(screen.getByText("Text"), { key: " " });
    assert.equal(calls.pause, 1);
    fireEvent.keyDown(screen.getByRole("button", { name: "Share" }), { key: " " });
    fireEvent.keyDown(screen.getByRole("button", { name: "Row" }), { key: " " });
    fireEvent.keyDown(screen.getByLabelText("Title"), { key: " " });
    assert.equal(calls.pause, 1);
  });

  it("Esc closes, even from an empty field, but not while a field holds text", () => {
    const calls = renderPage();
    fireEvent.keyDown(screen.getByText("Text"), { key: "Escape" });
    const title = screen.getByLabelText("Title") as HTMLInputElement;
    fireEvent.keyDown(title, { key: "Escape" });
    assert.equal(calls.escape, 2);
    fireEvent.change(title, { target: { value: "draft" } });
    fireEvent.keyDown(title, { key: "Escape" });
    assert.equal(calls.escape, 2);
  });

  it("keys already handled, or with a modifier, are left alone", () => {
    const calls = renderPage();
    const text = screen.getByText("Text");
    const handled = new KeyboardEvent("keydown", { key: "Escape", bubbles: true, cancelable: true });
    handled.preventDefault();
    text.dispatchEvent(handled);
    fireEvent.keyDown(text, { key: " ", ctrlKey: true });
    fireEvent.keyDown(text, { key: "/", metaKey: true });
    assert.deepEqual(calls, { escape: 0, pause: 0 });
    assert.notEqual(document.activeElement, screen.getByLabelText("Filter flows"));
  });

  it("stops listening when the page goes", () => {
    const calls = renderPage();
    cleanup();
    fireEvent.keyDown(window, { key: " " });
    assert.equal(calls.pause, 0);
  });
});
