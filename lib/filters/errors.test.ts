import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { compileFlowFilters, FilterBuildError } from "./index";
import { filter, type FilterInit } from "./testing";

const cases: Array<{ name: string; filter: FilterInit; message: string | RegExp }> = [
  { name: "source_ip rejects a bad address", filter: { sourceIp: ["1.2.3"] }, message: 'invalid IP address in filter: "1.2.3"' },
  { name: "destination_ip rejects a bad CIDR", filter: { destinationIp: ["10.0.0.0/33"] }, message: 'invalid CIDR in filter: "10.0.0.0/33"' },
  { name: "source_ip_xlated rejects a zone in a CIDR", filter: { sourceIpXlated: ["fe80::1%eth0/64"] }, message: /invalid CIDR/ },
  { name: "ip rejects leading zeros", filter: { sourceIp: ["010.0.0.1"] }, message: /invalid IP address/ },
  { name: "pod rejects the empty string", filter: { sourcePod: [""] }, message: 'invalid filter, must be [namespace/][<name>], got ""' },
  { name: "pod rejects a bare slash", filter: { destinationPod: ["/"] }, message: /must be \[namespace\/\]\[<name>\]/ },
  { name: "service rejects the empty string", filter: { sourceService: [""] }, message: /^invalid source service filter: invalid filter/ },
  { name: "destination service rejects the empty string", filter: { destinationService: [""] }, message: /^invalid destination service filter/ },
  { name: "cluster name rejects the empty string", filter: { sourceClusterName: ["a", ""] }, message: "invalid filter, name must not be empty" },
  { name: "destination cluster name rejects the empty string", filter: { destinationClusterName: [""] }, message: "invalid filter, name must not be empty" },
  { name: "fqdn rejects characters outside [-0-9_a-z.*]", filter: { sourceFqdn: ["foo/bar"] }, message: "'/': invalid rune in pattern" },
  { name: "fqdn rejects an empty pattern", filter: { destinationFqdn: [" "] }, message: "empty pattern" },
  { name: "fqdn rejects two trailing dots", filter: { destinationFqdn: ["cilium.io.."] }, message: "multiple trailing dots in pattern" },
  { name: "node name rejects two slashes", filter: { nodeName: ["a/b/c"] }, message: "too many slashes in pattern" },
  { name: "node name rejects an empty pattern", filter: { nodeName: [""] }, message: "empty pattern" },
  { name: "node name rejects invalid characters", filter: { nodeName: ["k8s+1"] }, message: "'+': invalid rune in pattern" },
  { name: "dns_query rejects a bad RE2", filter: { dnsQuery: ["("] }, message: "invalid DNS query filter: failed to compile regexp: error parsing regexp: missing closing ): `(`" },
  { name: "dns_query rejects Perl lookahead like Go does", filter: { dnsQuery: ["(?=x)"] }, message: /invalid or unsupported Perl syntax/ },
  { name: "http_path rejects a bad RE2", filter: { httpPath: ["a**"] }, message: "invalid http path filter: a**: error parsing regexp: invalid nested repetition operator: `**`" },
  { name: "http_url rejects a bad RE2", filter: { httpUrl: ["[z-a]"] }, message: /^invalid http url filter: \[z-a\]: error parsing regexp/ },
  { name: "http status rejects non-codes", filter: { httpStatusCode: ["abc"] }, message: 'invalid http status code filter: invalid status code prefix: "abc"' },
  { name: "http status rejects 600", filter: { httpStatusCode: ["600"] }, message: /invalid status code prefix: "600"/ },
  { name: "http status rejects a three-digit prefix", filter: { httpStatusCode: ["404+"] }, message: /invalid status code prefix/ },
  {
    name: "http status needs event type 129",
    filter: { httpStatusCode: ["404"], eventType: [{ type: 4 }] },
    message: "filtering by http status code requires the event type filter to only match 'l7' events",
  },
  { name: "http method needs event type 129", filter: { httpMethod: ["GET"], eventType: [{ type: 1 }] }, message: /^filtering by http method requires/ },
  { name: "http path needs event type 129", filter: { httpPath: ["/"], eventType: [{ type: 1 }] }, message: /^filtering by http path requires/ },
  { name: "http url needs event type 129", filter: { httpUrl: ["/"], eventType: [{ type: 1 }] }, message: /^filtering by http url requires/ },
  { name: "http header needs event type 129", filter: { httpHeader: [{ key: "a", value: "b" }], eventType: [{ type: 1 }] }, message: /^filtering by http headers requires/ },
  { name: "protocol rejects unknown names", filter: { protocol: ["tcp", "quic"] }, message: 'invalid protocol filter: unknown protocol: "quic"' },
  {
    name: "source port rejects non-numbers",
    filter: { sourcePort: ["http"] },
    message: 'invalid source port filter: invalid port "http": strconv.ParseUint: parsing "http": invalid syntax',
  },
  { name: "destination port rejects values over 65535", filter: { destinationPort: ["65536"] }, message: /invalid destination port filter: .*value out of range/ },
  { name: "port rejects a sign", filter: { destinationPort: ["+80"] }, message: /invalid syntax/ },
  { name: "label rejects a bad selector", filter: { sourceLabel: ["app in (a"] }, message: /^invalid source label filter: / },
  {
    name: "label rejects an invalid value",
    filter: { destinationLabel: ["app=-x"] },
    message: /^invalid destination label filter: unable to parse requirement: values: Invalid value: "-x"/,
  },
  { name: "label rejects a whitespace-only selector", filter: { sourceLabel: ["  "] }, message: /^invalid source label filter/ },
  { name: "node labels reject a bad selector", filter: { nodeLabels: ["a=b=c"] }, message: /^invalid node labels filter/ },
  { name: "gt needs an integer", filter: { sourceLabel: ["n>x"] }, message: /the value must be an integer/ },
  {
    name: "CEL expressions are refused",
    filter: { experimental: { celExpression: ["_flow.verdict == 2"] } },
    message: "CEL expressions are not supported by Hubble Lens",
  },
];

describe("build errors", () => {
  for (const c of cases) {
    it(c.name, () => {
      assert.throws(
        () => compileFlowFilters([filter(c.filter)], []),
        (err: unknown) => {
          assert.ok(err instanceof FilterBuildError, `expected FilterBuildError, got ${String(err)}`);
          if (typeof c.message === "string") assert.equal(err.message, c.message);
          else assert.match(err.message, c.message);
          return true;
        },
      );
    });
  }

  it("errors in the blacklist are reported too", () => {
    assert.throws(() => compileFlowFilters([], [filter({ sourcePort: ["x"] })]), FilterBuildError);
  });

  it("http filters build when the event type list includes 129", () => {
    assert.doesNotThrow(() => compileFlowFilters([filter({ httpStatusCode: ["5+"], eventType: [{ type: 4 }, { type: 129 }] })], []));
  });

  it("an empty CEL list is not an error", () => {
    assert.doesNotThrow(() => compileFlowFilters([filter({ experimental: { celExpression: [] } })], []));
  });

  it("the first invalid field in Hubble's build order is the one reported", () => {
    assert.throws(() => compileFlowFilters([filter({ sourcePort: ["x"], protocol: ["nope"] })], []), /invalid protocol filter/);
  });
});
