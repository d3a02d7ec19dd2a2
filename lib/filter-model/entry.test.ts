import { test } from "node:test";
import assert from "node:assert/strict";
import { FilterSyntaxError, formatFilterEntry, parseFilterEntry, type FilterEntry } from "./entry";
import { FILTER_KINDS, KIND_SPECS } from "./kinds";

const e = (kind: FilterEntry["kind"], value: string, direction: FilterEntry["direction"] = "either", negated = false): FilterEntry => ({
  kind,
  value,
  direction,
  negated,
});

test("entries parse to kind, direction, negation and canonical value", () => {
  const cases: [string, FilterEntry, string][] = [
    // input, parsed, canonical text
    ["pod=shop/frontend", e("pod", "shop/frontend"), "pod=shop/frontend"],
    ["from:pod=shop/frontend", e("pod", "shop/frontend", "from"), "from:pod=shop/frontend"],
    ["to:pod=frontend", e("pod", "frontend", "to"), "to:pod=frontend"],
    ["either:pod=/frontend", e("pod", "/frontend"), "pod=/frontend"],
    ["both:pod=x", e("pod", "x"), "pod=x"],
    ["!pod=x", e("pod", "x", "either", true), "!pod=x"],
    ["!to:namespace=kube-system", e("namespace", "kube-system", "to", true), "!to:namespace=kube-system"],
    ["  label=app=frontend  ", e("label", "app=frontend"), "label=app=frontend"],
    ["from:label=k8s:app in (a,b)", e("label", "k8s:app in (a,b)", "from"), "from:label=k8s:app in (a,b)"],
    ["ip=10.0.0.0/8", e("ip", "10.0.0.0/8"), "ip=10.0.0.0/8"],
    ["to:ip=fd00::1", e("ip", "fd00::1", "to"), "to:ip=fd00::1"],
    ["dns=*.cilium.io", e("fqdn", "*.cilium.io"), "fqdn=*.cilium.io"],
    ["to:fqdn=api.github.com.", e("fqdn", "api.github.com.", "to"), "to:fqdn=api.github.com."],
    ["identity=World", e("identity", "world"), "identity=world"],
    ["from:identity=16781", e("identity", "16781", "from"), "from:identity=16781"],
    ["workload=Deployment/frontend", e("workload", "Deployment/frontend"), "workload=Deployment/frontend"],
    ["service=kube-system/kube-dns", e("service", "kube-system/kube-dns"), "service=kube-system/kube-dns"],
    ["to:port=443", e("port", "443", "to"), "to:port=443"],
    ["port=080", e("port", "80"), "port=80"],
    ["cluster=prod", e("cluster", "prod"), "cluster=prod"],
    ["verdict=dropped", e("verdict", "DROPPED"), "verdict=DROPPED"],
    ["protocol=TCP", e("protocol", "tcp"), "protocol=tcp"],
    ["http-status=5+", e("http-status", "5+"), "http-status=5+"],
    ["http-status=404", e("http-status", "404"), "http-status=404"],
    ["http-method=get", e("http-method", "get"), "http-method=get"],
    ["http-path=^/api/v[0-9]+/", e("http-path", "^/api/v[0-9]+/"), "http-path=^/api/v[0-9]+/"],
    ["http-header=x-tenant:blue:green", e("http-header", "x-tenant:blue:green"), "http-header=x-tenant:blue:green"],
    ["drop-reason=policy_denied", e("drop-reason", "POLICY_DENIED"), "drop-reason=POLICY_DENIED"],
    ["drop-reason-desc=POLICY_DENY", e("drop-reason", "POLICY_DENY"), "drop-reason=POLICY_DENY"],
    ["node=kind-kind/kind-worker*", e("node", "kind-kind/kind-worker*"), "node=kind-kind/kind-worker*"],
    ["node-name=k8s1", e("node", "k8s1"), "node=k8s1"],
    ["traffic-direction=INGRESS", e("traffic-direction", "ingress"), "traffic-direction=ingress"],
    ["type=drop", e("type", "drop"), "type=drop"],
    ["type=Trace:To-Endpoint", e("type", "trace:to-endpoint"), "type=trace:to-endpoint"],
    ["type=4:5", e("type", "trace:from-endpoint"), "type=trace:from-endpoint"],
    ["type=129", e("type", "l7"), "type=l7"],
    ["type=policy-verdict", e("type", "policy-verdict"), "type=policy-verdict"],
    ["uuid=b9fab269-04ae-495c-9d12-b6c36d41de0d", e("uuid", "b9fab269-04ae-495c-9d12-b6c36d41de0d"), "uuid=b9fab269-04ae-495c-9d12-b6c36d41de0d"],
    ["tcp-flags=syn,ack", e("tcp-flags", "SYN,ACK"), "tcp-flags=SYN,ACK"],
    ["ip-version=4", e("ip-version", "v4"), "ip-version=v4"],
    ["snat-ip=192.0.2.1", e("snat-ip", "192.0.2.1"), "snat-ip=192.0.2.1"],
    ["interface=eth0", e("interface", "eth0"), "interface=eth0"],
    ["trace-id=abc", e("trace-id", "abc"), "trace-id=abc"],
  ];
  for (const [input, want, text] of cases) {
    const got = parseFilterEntry(input);
    assert.deepEqual(got, want, input);
    assert.equal(formatFilterEntry(got), text, input);
    assert.deepEqual(parseFilterEntry(formatFilterEntry(got)), got, `round-trip ${input}`);
  }
});

test("every kind's documented example parses and round-trips", () => {
  for (const kind of FILTER_KINDS) {
    const example = KIND_SPECS[kind].example;
    const parsed = parseFilterEntry(example);
    assert.equal(parsed.kind, kind);
    assert.equal(formatFilterEntry(parsed), example);
    assert.deepEqual(parseFilterEntry(`!${example}`), { ...parsed, negated: true });
  }
});

test("bad entries raise FilterSyntaxError naming the entry and what is valid", () => {
  const cases: [string, RegExp][] = [
    ["", /empty filter.*kind=value/],
    ["!", /empty filter/],
    ["frontend", /missing "=".*from:pod=shop\/frontend/],
    ["app=frontend", /unknown kind "app".*valid kinds are label, pod|for a label write label=app=frontend/],
    ["pdo=x", /did you mean pod=x\?/],
    ["from:http-status=500", /http-status has no source or destination side; write http-status=5\+/],
    ["to:verdict=DROPPED", /verdict has no source or destination side/],
    ["pod=", /pod name must not be empty/],
    ["pod=a/b/c", /at most one '\/'/],
    ["namespace=Kube_System", /DNS label/],
    ["ip=10.0.0.256", /expected an IP address/],
    ["ip=10.0.0.0/33", /expected an IP address/],
    ["ip=01.2.3.4", /expected an IP address/],
    ["fqdn=exa mple.com", /FQDN pattern may only contain/],
    ["identity=bogus", /not a reserved identity name.*identity=world/],
    ["port=70000", /a port is a number from 0 to 65535/],
    ["verdict=DROP", /unknown verdict "DROP".*FORWARDED, DROPPED/],
    ["protocol=quic", /unknown protocol "quic"/],
    ["http-status=600", /expected a code 100–599.*5\+/],
    ["http-status=5xx", /expected a code/],
    ["http-header=novalue", /name:value/],
    ["drop-reason=DENIED", /unknown drop reason "DENIED"/],
    ["node=a/b/c", /\[cluster\/\]node/],
    ["traffic-direction=up", /expected ingress or egress/],
    ["type=bogus", /unknown event type "bogus"/],
    ["type=trace:sideways", /unknown sub-type "sideways".*to-endpoint/],
    ["tcp-flags=SYN,BOGUS", /unknown TCP flag "BOGUS"/],
    ["ip-version=7", /expected v4, v6 or none/],
  ];
  for (const [input, pattern] of cases) {
    assert.throws(
      () => parseFilterEntry(input),
      (err: unknown) => {
        assert.ok(err instanceof FilterSyntaxError, input);
        assert.equal(err.entry, input);
        assert.match(err.message, pattern, input);
        assert.ok(err.message.startsWith(`invalid filter ${JSON.stringify(input)}`), err.message);
        return true;
      },
    );
  }
});
