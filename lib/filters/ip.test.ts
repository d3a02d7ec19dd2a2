import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { IPVersion } from "@/proto/gen/flow/flow_pb";
import { isValidAddr, parsePrefix, prefixContains, prefixCovers } from "./ip";
import { passes, type MatchCase } from "./testing";

describe("address parsing follows netip.ParseAddr", () => {
  const valid = ["1.2.3.4", "0.0.0.0", "255.255.255.255", "::", "::1", "2001:db8::1", "fe80::1%eth0", "::ffff:10.0.0.1", "1:2:3:4:5:6:7:8", "1:2:3:4:5:6:1.2.3.4", "ABCD::ef"];
  const invalid = [
    "",
    "1.2.3",
    "1.2.3.4.5",
    "256.1.1.1",
    "01.2.3.4",
    "1..2.3",
    ".1.2.3",
    "1.2.3.",
    "a.b.c.d",
    ":::",
    "1::2::3",
    "12345::",
    "1:2:3:4:5:6:7:8:9",
    "1:2:3:4:5:6:7::8",
    "fe80::1%",
    "%eth0",
    "::1.2.3",
    "1:2:3:4:5:6:7:1.2.3.4",
    "localhost",
    " 1.2.3.4",
  ];
  for (const s of valid) it(`accepts ${JSON.stringify(s)}`, () => assert.equal(isValidAddr(s), true));
  for (const s of invalid) it(`rejects ${JSON.stringify(s)}`, () => assert.equal(isValidAddr(s), false));
});

describe("prefix parsing follows netip.ParsePrefix", () => {
  const valid = ["10.0.0.0/8", "10.1.2.3/8", "0.0.0.0/0", "1.2.3.4/32", "2001:db8::/32", "::/0", "::1/128"];
  const invalid = ["10.0.0.0", "10.0.0.0/33", "10.0.0.0/-1", "10.0.0.0/08", "10.0.0.0/", "::/129", "fe80::%eth0/64", "10.0.0/8", "10.0.0.0/8/8", "10.0.0.0/ 8"];
  for (const s of valid) it(`accepts ${JSON.stringify(s)}`, () => assert.notEqual(parsePrefix(s), null));
  for (const s of invalid) it(`rejects ${JSON.stringify(s)}`, () => assert.equal(parsePrefix(s), null));
});

describe("prefix containment", () => {
  const cases: Array<[string, string, boolean]> = [
    ["10.0.0.0/8", "10.255.1.2", true],
    ["10.0.0.0/8", "11.0.0.1", false],
    ["10.1.2.3/8", "10.9.9.9", true],
    ["0.0.0.0/0", "192.168.1.1", true],
    ["192.168.1.0/31", "192.168.1.1", true],
    ["192.168.1.0/31", "192.168.1.2", false],
    ["2001:db8::/32", "2001:db8:ffff::1", true],
    ["2001:db8::/32", "2001:db9::1", false],
    ["2001:db8::/33", "2001:db8:8000::1", false],
    ["::/0", "::1", true],
    ["10.0.0.0/8", "::ffff:10.0.0.1", false],
    ["::ffff:0:0/96", "10.0.0.1", false],
    ["fe80::/10", "fe80::1%eth0", false],
    ["10.0.0.0/8", "not-an-ip", false],
  ];
  for (const [prefix, addr, want] of cases) {
    it(`${prefix} ${want ? "contains" : "does not contain"} ${addr}`, () => {
      assert.equal(prefixContains(parsePrefix(prefix)!, addr), want);
    });
  }
  it("a wider prefix covers a narrower one, not the reverse", () => {
    assert.equal(prefixCovers(parsePrefix("10.0.0.0/8")!, parsePrefix("10.1.0.0/16")!), true);
    assert.equal(prefixCovers(parsePrefix("10.1.0.0/16")!, parsePrefix("10.0.0.0/8")!), false);
  });
});

describe("ip filters", () => {
  const ip = (source: string, destination = "", sourceXlated = "") => ({ IP: { source, destination, sourceXlated } });
  const table: Array<{ filter: Parameters<typeof passes>[1]; cases: MatchCase[] }> = [
    {
      filter: { sourceIp: ["10.0.0.1", "192.168.0.0/16"] },
      cases: [
        { name: "source_ip matches an exact address", flow: ip("10.0.0.1"), want: true },
        { name: "source_ip matches inside a CIDR", flow: ip("192.168.44.2"), want: true },
        { name: "source_ip ignores the destination", flow: ip("10.0.0.2", "10.0.0.1"), want: false },
        { name: "source_ip never matches a flow without IP", flow: {}, want: false },
      ],
    },
    {
      filter: { sourceIp: ["2001:db8::1"] },
      cases: [
        { name: "exact IPv6 entries compare as strings", flow: ip("2001:db8::1"), want: true },
        { name: "an equal IPv6 address in another spelling does not match an exact entry", flow: ip("2001:db8:0::1"), want: false },
      ],
    },
    {
      filter: { destinationIp: ["2001:db8::/32"] },
      cases: [
        { name: "destination_ip matches an IPv6 CIDR", flow: ip("10.0.0.1", "2001:db8::42"), want: true },
        { name: "destination_ip misses outside the CIDR", flow: ip("10.0.0.1", "2001:db9::42"), want: false },
      ],
    },
    {
      filter: { sourceIpXlated: ["10.0.0.0/24"] },
      cases: [
        { name: "source_ip_xlated matches the translated source", flow: ip("172.16.0.1", "", "10.0.0.9"), want: true },
        { name: "source_ip_xlated does not look at the source", flow: ip("10.0.0.9"), want: false },
      ],
    },
    {
      filter: { ipVersion: [IPVersion.IPv6] },
      cases: [
        { name: "ip_version matches the flow's version", flow: { IP: { ipVersion: IPVersion.IPv6 } }, want: true },
        { name: "ip_version misses another version", flow: { IP: { ipVersion: IPVersion.IPv4 } }, want: false },
      ],
    },
    {
      filter: { ipVersion: [IPVersion.IP_NOT_USED] },
      cases: [{ name: "ip_version IP_NOT_USED matches flows without IP", flow: {}, want: true }],
    },
    {
      filter: { encrypted: [true] },
      cases: [
        { name: "encrypted true matches encrypted flows", flow: { IP: { encrypted: true } }, want: true },
        { name: "encrypted true misses plain flows", flow: { IP: { encrypted: false } }, want: false },
      ],
    },
    {
      filter: { encrypted: [false] },
      cases: [{ name: "encrypted false matches flows without IP", flow: {}, want: true }],
    },
  ];
  for (const { filter, cases } of table) {
    for (const c of cases) it(c.name, () => assert.equal(passes(c.flow, filter), c.want));
  }
});
