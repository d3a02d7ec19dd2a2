import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { passes, type FilterInit, type FlowInit, type MatchCase } from "./testing";
import { requestURIPath } from "./url";

function http(fields: { code?: number; method?: string; url?: string; headers?: Array<{ key: string; value: string }> }): FlowInit {
  return {
    eventType: { type: 129 },
    l4: { protocol: { case: "TCP", value: { sourcePort: 40000, destinationPort: 80 } } },
    l7: { record: { case: "http", value: fields } },
  };
}

describe("request-URI paths (Go's url.ParseRequestURI)", () => {
  const cases: Array<[string, string | null]> = [
    ["http://reviews:9080/reviews/0?x=1", "/reviews/0"],
    ["https://user:pw@api.example.com/v1/items", "/v1/items"],
    ["/just/a/path?q", "/just/a/path"],
    ["http://host", ""],
    ["http://host/a%20b", "/a b"],
    ["http://host/caf%C3%A9", "/café"],
    ["http://host/a#frag", "/a#frag"],
    ["//authority-less/path", "//authority-less/path"],
    ["*", "*"],
    ["mailto:someone", ""],
    ["", null],
    ["relative/path", null],
    ["http://host/bad%zz", null],
    ["http://host:port/x", null],
    ["http://ho st/x", null],
    ["http://[::1/x", null],
    ["http://[::1]:80/x", "/x"],
    [":nothing", null],
    ["http://host/a\u0001b", null],
  ];
  for (const [url, want] of cases) {
    it(`${JSON.stringify(url)} has path ${JSON.stringify(want)}`, () => assert.equal(requestURIPath(url), want));
  }
});

describe("http filters", () => {
  const table: Array<{ filter: FilterInit; cases: MatchCase[] }> = [
    {
      filter: { httpStatusCode: ["404", "5+"] },
      cases: [
        { name: "a full status code matches exactly", flow: http({ code: 404 }), want: true },
        { name: "a one-digit prefix matches the class", flow: http({ code: 503 }), want: true },
        { name: "other codes miss", flow: http({ code: 200 }), want: false },
        { name: "requests (code 0) never match", flow: http({ method: "GET" }), want: false },
        { name: "non-HTTP flows never match", flow: {}, want: false },
      ],
    },
    {
      filter: { httpStatusCode: ["40+"] },
      cases: [
        { name: "a two-digit prefix matches its decade", flow: http({ code: 403 }), want: true },
        { name: "a two-digit prefix misses the next decade", flow: http({ code: 410 }), want: false },
      ],
    },
    {
      filter: { httpMethod: ["get", "POST"] },
      cases: [
        { name: "http_method is case-insensitive", flow: http({ method: "GET" }), want: true },
        { name: "http_method values are OR'ed", flow: http({ method: "post" }), want: true },
        { name: "http_method misses other methods", flow: http({ method: "DELETE" }), want: false },
        { name: "http_method misses a missing method", flow: http({ code: 200 }), want: false },
      ],
    },
    {
      filter: { httpPath: ["^/api/v[0-9]+/"] },
      cases: [
        { name: "http_path matches the parsed path", flow: http({ url: "http://svc:8080/api/v2/items?x=/api/v1/" }), want: true },
        { name: "http_path does not see the host", flow: http({ url: "http://api/v1/x" }), want: false },
        { name: "http_path never matches an unparsable URL", flow: http({ url: "http://h/api/v1/%zz" }), want: false },
        { name: "http_path never matches an empty URL", flow: http({ code: 200 }), want: false },
      ],
    },
    {
      filter: { httpPath: ["items"] },
      cases: [{ name: "http_path is unanchored", flow: http({ url: "http://svc/api/v2/items/3" }), want: true }],
    },
    {
      filter: { httpUrl: ["^https?://reviews:9080/"] },
      cases: [
        { name: "http_url matches the full URL", flow: http({ url: "http://reviews:9080/reviews/0" }), want: true },
        { name: "http_url misses other hosts", flow: http({ url: "http://ratings:9080/reviews/0" }), want: false },
      ],
    },
    {
      filter: {
        httpHeader: [
          { key: "x-request-id", value: "abc" },
          { key: "user-agent", value: "curl/8" },
        ],
      },
      cases: [
        { name: "http_header matches key and value", flow: http({ headers: [{ key: "user-agent", value: "curl/8" }] }), want: true },
        { name: "http_header needs the value too", flow: http({ headers: [{ key: "x-request-id", value: "abd" }] }), want: false },
        { name: "http_header keys are case-sensitive", flow: http({ headers: [{ key: "User-Agent", value: "curl/8" }] }), want: false },
        { name: "http_header misses flows without headers", flow: http({ code: 200 }), want: false },
      ],
    },
    {
      filter: { httpStatusCode: ["200"], eventType: [{ type: 129 }] },
      cases: [{ name: "http filters combine with event type 129", flow: http({ code: 200 }), want: true }],
    },
  ];
  for (const { filter, cases } of table) {
    for (const c of cases) it(c.name, () => assert.equal(passes(c.flow, filter), c.want));
  }
});
