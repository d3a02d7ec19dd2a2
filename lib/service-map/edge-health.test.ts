import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { edgeHealth, edgeHealthText, formatShare } from "./edge-health";
import type { EdgeHttpStats, VerdictCounts } from "./types";

const ZERO: VerdictCounts = { forwarded: 0, dropped: 0, audit: 0, redirected: 0, error: 0, other: 0 };

function edge(v: Partial<VerdictCounts>, http?: { responses: number; status5xx: number }) {
  const verdicts = { ...ZERO, ...v };
  const flows = Object.values(verdicts).reduce((a, b) => a + b, 0);
  const h: EdgeHttpStats | undefined = http && {
    requests: http.responses,
    responses: http.responses,
    status4xx: 0,
    status5xx: http.status5xx,
    errorPercent: http.responses > 0 ? (http.status5xx / http.responses) * 100 : undefined,
    p50Ms: undefined,
    p95Ms: undefined,
  };
  return { flows, verdicts, http: h };
}

describe("an edge's colour follows the dropped share and the HTTP error share", () => {
  const cases = [
    { name: "all forwarded is healthy", e: edge({ forwarded: 1000 }), kind: "healthy", minorDrops: false, minorHttp: false },
    { name: "one drop among thousands is a mark on a healthy edge", e: edge({ forwarded: 4999, dropped: 1 }), kind: "healthy", minorDrops: true, minorHttp: false },
    { name: "4.9 % dropped is still a mark", e: edge({ forwarded: 951, dropped: 49 }), kind: "healthy", minorDrops: true, minorHttp: false },
    { name: "5 % dropped is partly dropped", e: edge({ forwarded: 950, dropped: 50 }), kind: "partly-dropped", minorDrops: false, minorHttp: false },
    { name: "exactly half dropped is not mostly dropped", e: edge({ forwarded: 500, dropped: 500 }), kind: "partly-dropped", minorDrops: false, minorHttp: false },
    { name: "more than half dropped is mostly dropped", e: edge({ forwarded: 499, dropped: 501 }), kind: "dropped", minorDrops: false, minorHttp: false },
    { name: "all dropped is dropped", e: edge({ dropped: 3 }), kind: "dropped", minorDrops: false, minorHttp: false },
    { name: "5xx on 10 % of responses is HTTP errors", e: edge({ forwarded: 400 }, { responses: 200, status5xx: 20 }), kind: "http-errors", minorDrops: false, minorHttp: false },
    { name: "one 5xx in 1,000 responses is a mark", e: edge({ forwarded: 2000 }, { responses: 1000, status5xx: 1 }), kind: "healthy", minorDrops: false, minorHttp: true },
    {
      name: "drops outrank HTTP errors, which stay a mark",
      e: edge({ forwarded: 100, dropped: 300 }, { responses: 50, status5xx: 25 }),
      kind: "dropped",
      minorDrops: false,
      minorHttp: true,
    },
    { name: "responses without 5xx are healthy", e: edge({ forwarded: 100 }, { responses: 50, status5xx: 0 }), kind: "healthy", minorDrops: false, minorHttp: false },
    { name: "mostly error verdicts is error", e: edge({ forwarded: 10, error: 11 }), kind: "error", minorDrops: false, minorHttp: false },
    { name: "a few error verdicts do not colour the edge", e: edge({ forwarded: 1000, error: 2 }), kind: "healthy", minorDrops: false, minorHttp: false },
    { name: "mostly audited is audit", e: edge({ forwarded: 1, audit: 9 }), kind: "audit", minorDrops: false, minorHttp: false },
    { name: "an edge without flows is healthy", e: edge({}), kind: "healthy", minorDrops: false, minorHttp: false },
  ] as const;
  for (const c of cases) {
    it(c.name, () => {
      const h = edgeHealth(c.e);
      assert.equal(h.kind, c.kind);
      assert.equal(h.minorDrops, c.minorDrops);
      assert.equal(h.minorHttpErrors, c.minorHttp);
    });
  }
});

describe("the accessible text states the shares in numbers", () => {
  it("one drop among 5,000 is not 'mostly dropped'", () => {
    const text = edgeHealthText(edge({ forwarded: 4999, dropped: 1 }));
    assert.equal(text, "healthy: 1 of 5,000 flows dropped (<0.1%)");
  });
  it("mostly dropped with HTTP errors", () => {
    const text = edgeHealthText(edge({ forwarded: 188, dropped: 812 }, { responses: 200, status5xx: 6 }));
    assert.equal(text, "mostly dropped: 812 of 1,000 flows dropped (81%), 3.0% HTTP 5xx (6 of 200 responses)");
  });
  it("HTTP errors", () => {
    assert.equal(edgeHealthText(edge({ forwarded: 10 }, { responses: 4, status5xx: 1 })), "HTTP errors: 0 of 10 flows dropped (0%), 25% HTTP 5xx (1 of 4 responses)");
  });
});

describe("shares read as percentages", () => {
  const cases: [number, string][] = [
    [0, "0%"],
    [0.0002, "<0.1%"],
    [0.025, "2.5%"],
    [0.374, "37%"],
    [0.996, "99%"],
    [1, "100%"],
  ];
  for (const [share, text] of cases) it(`${share} → ${text}`, () => assert.equal(formatShare(share), text));
});
