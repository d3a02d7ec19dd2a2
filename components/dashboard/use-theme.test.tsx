import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { act, cleanup, render } from "@testing-library/react";
import { useTheme, type Theme } from "./use-theme";

const KEY = "hubble-lens.theme";

const systemMatchMedia = window.matchMedia;
afterEach(() => {
  cleanup();
  window.matchMedia = systemMatchMedia;
});
beforeEach(() => {
  localStorage.clear();
  document.documentElement.classList.remove("dark");
});

/** Sets what the system prefers (prefers-color-scheme) for the next render. */
function systemPrefers(theme: Theme) {
  window.matchMedia = ((query: string) => ({ matches: query === "(prefers-color-scheme: dark)" && theme === "dark" })) as unknown as typeof window.matchMedia;
}

function renderTheme() {
  let state: [Theme, () => void] | undefined;
  function Probe() {
    state = useTheme();
    return null;
  }
  render(<Probe />);
  return { theme: () => state![0], toggle: () => act(() => state![1]()) };
}

const darkClass = () => document.documentElement.classList.contains("dark");

describe("useTheme", () => {
  it("follows the system until the user picks one", () => {
    systemPrefers("dark");
    const t = renderTheme();
    assert.equal(t.theme(), "dark");
    assert.equal(darkClass(), true);
    assert.equal(localStorage.getItem(KEY), null, "following the system is not a choice to remember");
  });

  it("a remembered choice wins over the system", () => {
    systemPrefers("dark");
    localStorage.setItem(KEY, "light");
    const t = renderTheme();
    assert.equal(t.theme(), "light");
    assert.equal(darkClass(), false);
  });

  it("toggling switches the page's class and is remembered for the next visit", () => {
    systemPrefers("light");
    const t = renderTheme();
    t.toggle();
    assert.equal(t.theme(), "dark");
    assert.equal(darkClass(), true);
    assert.equal(localStorage.getItem(KEY), "dark");
    cleanup();
    systemPrefers("light");
    assert.equal(renderTheme().theme(), "dark");
  });

  it("an unknown stored value is ignored", () => {
    systemPrefers("light");
    localStorage.setItem(KEY, "sepia");
    assert.equal(renderTheme().theme(), "light");
  });
});
