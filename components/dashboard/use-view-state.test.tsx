import { afterEach, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { act, cleanup, render } from "@testing-library/react";
import { useState } from "react";
// The context Next.js's useSearchParams reads; the App Router provides it in the page.
import { SearchParamsContext } from "next/dist/shared/lib/hooks-client-context.shared-runtime";
import { defaultViewState, viewStateToParams, type ViewState } from "@/lib/view-state";
import { useViewState } from "./use-view-state";

afterEach(cleanup);
beforeEach(() => window.history.replaceState(null, "", "/"));

/**
 * The hook under a stand-in for the App Router: the search params it provides change only when
 * the test says the router has caught up with the URL (`catchUp`), as Next.js does a little after
 * `history.replaceState`, or when another navigation sets them (`navigate`).
 */
function renderHook(search: string) {
  let result: ReturnType<typeof useViewState> | undefined;
  let setSearch: (s: URLSearchParams) => void = () => {};
  function Probe() {
    result = useViewState();
    return null;
  }
  function Router() {
    const [params, set] = useState(() => new URLSearchParams(search));
    setSearch = set;
    return (
      <SearchParamsContext.Provider value={params}>
        <Probe />
      </SearchParamsContext.Provider>
    );
  }
  render(<Router />);
  return {
    current: () => result!,
    setView: (next: ViewState) => act(() => result!.setView(next)),
    catchUp: () => act(() => setSearch(new URLSearchParams(window.location.search))),
    navigate: (qs: string) => act(() => setSearch(new URLSearchParams(qs))),
  };
}

const view = (change: Partial<ViewState>): ViewState => ({ ...defaultViewState(), ...change });
const withNamespaces = (v: ViewState, namespaces: string[]): ViewState => ({ ...v, query: { ...v.query, namespaces } });

describe("useViewState", () => {
  it("reads the view from the URL", () => {
    const want = withNamespaces(view({ group: "app" }), ["shop"]);
    const hook = renderHook(viewStateToParams(want).toString());
    assert.deepEqual(hook.current().view, want);
    assert.equal(hook.current().problem, undefined);
  });

  it("setView writes the URL (replace, keeping the path) and the new view stands before the router catches up", () => {
    window.history.replaceState(null, "", "/base/");
    const hook = renderHook("");
    const before = window.history.length;
    const next = withNamespaces(view({}), ["shop"]);
    hook.setView(next);
    assert.equal(window.location.pathname, "/base/");
    assert.equal(window.location.search, `?${viewStateToParams(next)}`);
    assert.equal(window.history.length, before, "replaced, not pushed");
    assert.deepEqual(hook.current().view, next);
    hook.catchUp();
    assert.deepEqual(hook.current().view, next);
  });

  it("a second change made before the URL caught up builds on the first, not on the old URL", () => {
    const hook = renderHook("");
    hook.setView(withNamespaces(hook.current().view, ["shop"]));
    const first = hook.current().view;
    hook.setView({ ...first, query: { ...first.query, verdicts: ["DROPPED"] } });
    hook.catchUp();
    assert.deepEqual(hook.current().view.query.namespaces, ["shop"]);
    assert.deepEqual(hook.current().view.query.verdicts, ["DROPPED"]);
  });

  it("a navigation elsewhere wins over a written view still waiting", () => {
    const hook = renderHook("");
    hook.setView(withNamespaces(view({}), ["shop"]));
    const other = withNamespaces(view({}), ["billing"]);
    hook.navigate(viewStateToParams(other).toString());
    assert.deepEqual(hook.current().view, other);
  });

  it("a URL it cannot read is reported with the parameter at fault; the rest of the view stands", () => {
    const hook = renderHook("group=nope&namespace=shop");
    assert.equal(hook.current().problem?.param, "group");
    assert.match(hook.current().problem!.message, /group must be one of/);
    assert.deepEqual(hook.current().view.query.namespaces, ["shop"]);
    hook.setView(view({}));
    assert.equal(hook.current().problem, undefined, "a view written since replaces the bad URL");
  });
});
