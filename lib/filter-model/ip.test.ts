import { test } from "node:test";
import assert from "node:assert/strict";
import { isIpOrCidr } from "./ip";

test("IP and CIDR syntax follows Go's netip", () => {
  const good = [
    "10.0.0.1",
    "0.0.0.0",
    "255.255.255.255",
    "10.0.0.0/8",
    "0.0.0.0/0",
    "fd00::1",
    "::",
    "::1",
    "fe80::1%eth0",
    "2001:db8:0:0:0:0:0:1",
    "::ffff:10.0.0.1",
    "fd00::/64",
    "2001:db8::/128",
  ];
  const bad = [
    "",
    "10.0.0",
    "10.0.0.1.2",
    "256.0.0.1",
    "01.0.0.1",
    "10.0.0.0/33",
    "10.0.0.0/",
    "10.0.0.0/08",
    "fd00::/129",
    "fe80::1%eth0/64",
    "1:2:3:4:5:6:7:8:9",
    "1::2::3",
    "fd00::g",
    "12345::1",
    "10.0.0.1/8/8",
    "host.example",
  ];
  for (const s of good) assert.equal(isIpOrCidr(s), true, s);
  for (const s of bad) assert.equal(isIpOrCidr(s), false, s);
});
