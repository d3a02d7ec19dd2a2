import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { parseFilterEntry, type FlowQuery } from "@/lib/filter-model";
import { isActiveEntry, joinCommandLines, looksLikeHubbleObserveCommand, withEntry } from "./filter-entry";

const EMPTY: FlowQuery = { namespaces: [], verdicts: [], filters: [] };

describe("looksLikeHubbleObserveCommand", () => {
  const cases: [string, boolean][] = [
    ["hubble observe --pod x", true],
    ["$ hubble observe", true],
    ["/usr/local/bin/hubble observe -n shop", true],
    ["kubectl -n kube-system exec ds/cilium -- hubble observe --last 10", true],
    ["pod=hubble", false],
    ["hubble status", false],
    ["observe hubble", false],
  ];
  for (const [text, want] of cases) it(`${JSON.stringify(text)} → ${want}`, () => assert.equal(looksLikeHubbleObserveCommand(text), want));
});

describe("withEntry", () => {
  it("a plain namespace= goes to the namespaces; a directional or negated one stays a filter", () => {
    assert.deepEqual(withEntry(EMPTY, parseFilterEntry("namespace=shop")), { ...EMPTY, namespaces: ["shop"] });
    assert.equal(withEntry(EMPTY, parseFilterEntry("from:namespace=shop")).filters.length, 1);
    assert.equal(withEntry(EMPTY, parseFilterEntry("!namespace=shop")).filters.length, 1);
  });

  it("a plain verdict= goes to the verdicts; a negated one stays a filter", () => {
    assert.deepEqual(withEntry(EMPTY, parseFilterEntry("verdict=DROPPED")), { ...EMPTY, verdicts: ["DROPPED"] });
    assert.equal(withEntry(EMPTY, parseFilterEntry("!verdict=DROPPED")).filters.length, 1);
  });

  it("an entry already there returns the same query (so nothing changes)", () => {
    const q = withEntry(EMPTY, parseFilterEntry("port=443"));
    assert.equal(withEntry(q, parseFilterEntry("port=443")), q);
    const ns = withEntry(EMPTY, parseFilterEntry("namespace=shop"));
    assert.equal(withEntry(ns, parseFilterEntry("namespace=shop")), ns);
    assert.notEqual(withEntry(q, parseFilterEntry("!port=443")), q, "its exclusion is another entry");
  });
});

describe("isActiveEntry", () => {
  const q = withEntry(withEntry(EMPTY, parseFilterEntry("port=443")), parseFilterEntry("verdict=DROPPED"));
  const cases: [string, boolean][] = [
    ["port=443", true],
    ["verdict=DROPPED", true],
    ["port=80", false],
    ["verdict=", false],
    ["from:", false],
    ["not an entry", false],
  ];
  for (const [text, want] of cases) it(`${JSON.stringify(text)} → ${want}`, () => assert.equal(isActiveEntry(text, q), want));
});

describe("joinCommandLines", () => {
  it("joins shell continuations and plain line breaks into one line", () => {
    assert.equal(joinCommandLines("hubble observe \\\n  --pod x\r\n--port 1"), "hubble observe    --pod x --port 1");
  });
});
