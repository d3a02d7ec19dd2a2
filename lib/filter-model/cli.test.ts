import { test } from "node:test";
import assert from "node:assert/strict";
import { toJson } from "@bufbuild/protobuf";
import { FlowFilterSchema } from "../../proto/gen/flow/flow_pb";
import { parseFilterEntry } from "./entry";
import { analyzeHubbleObserveCommand, cliConflicts, HubbleCommandError, parseHubbleObserveCommand, toHubbleObserveArgs, toHubbleObserveCommand } from "./cli";
import { toHubbleFilters } from "./hubble-filters";
import { splitShellWords } from "./shell";
import type { FlowQuery } from "./query";

const q = (parts: Partial<Omit<FlowQuery, "filters">> & { filters?: string[] }): FlowQuery => ({
  namespaces: parts.namespaces ?? [],
  verdicts: parts.verdicts ?? [],
  filters: (parts.filters ?? []).map(parseFilterEntry),
  ...(parts.since ? { since: parts.since } : {}),
  ...(parts.until ? { until: parts.until } : {}),
});

test("entries map to the CLI flags of the mapping table", () => {
  const cases: [string, string[]][] = [
    ["pod=x", ["--pod", "x"]],
    ["from:pod=x", ["--from-pod", "x"]],
    ["to:pod=x", ["--to-pod", "x"]],
    ["!pod=x", ["--not", "--pod", "x"]],
    ["label=app=x", ["--label", "app=x"]],
    ["port=80", ["--port", "80"]],
    ["to:port=80", ["--to-port", "80"]],
    ["http-status=5+", ["--http-status", "5+"]],
    ["drop-reason=POLICY_DENIED", ["--drop-reason-desc", "POLICY_DENIED"]],
    ["node=x", ["--node-name", "x"]],
    ["traffic-direction=ingress", ["--traffic-direction", "ingress"]],
    ["namespace=ns", ["--namespace", "ns"]],
    ["from:namespace=ns", ["--from-namespace", "ns"]],
    ["!verdict=DROPPED", ["--not", "--verdict", "DROPPED"]],
    ["fqdn=*.cilium.io", ["--fqdn", "*.cilium.io"]],
    ["service=kube-system/kube-dns", ["--service", "kube-system/kube-dns"]],
    ["uuid=abc-1", ["--uuid", "abc-1"]],
    ["type=trace:to-endpoint", ["--type", "trace:to-endpoint"]],
    ["identity=world", ["--identity", "world"]],
    ["workload=Deployment/x", ["--workload", "Deployment/x"]],
    ["ip=10.0.0.0/8", ["--ip", "10.0.0.0/8"]],
    ["http-method=GET", ["--http-method", "GET"]],
    ["http-path=-foo", ["--http-path=-foo"]],
    ["encrypted=true", ["--encrypted"]],
    ["encrypted=false", ["--unencrypted"]],
    ["!encrypted=true", ["--not", "--encrypted"]],
  ];
  for (const [entry, args] of cases) {
    assert.deepEqual(toHubbleObserveArgs(q({ filters: [entry] })), args, entry);
  }
  assert.deepEqual(toHubbleObserveArgs(q({ namespaces: ["a", "b"], verdicts: ["DROPPED", "AUDIT"], since: "5m", until: "1m" })), [
    "--namespace",
    "a",
    "--namespace",
    "b",
    "--verdict",
    "DROPPED",
    "--verdict",
    "AUDIT",
    "--since",
    "5m",
    "--until",
    "1m",
  ]);
  assert.deepEqual(toHubbleObserveArgs(q({ since: "5m", until: "1m" }), { follow: true, last: 100, output: "jsonpb" }), [
    "--since",
    "5m",
    "--last",
    "100",
    "--follow",
    "-o",
    "jsonpb",
  ]);
});

test("the command line is shell-quoted", () => {
  const cmd = toHubbleObserveCommand(q({ verdicts: ["DROPPED"], filters: ["label=app in (a,b)", "to:fqdn=*.cilium.io", "http-path=it's", "!http-status=5+"] }));
  assert.equal(cmd, "hubble observe --verdict DROPPED --label 'app in (a,b)' --to-fqdn '*.cilium.io' --http-path 'it'\\''s' --not --http-status 5+");
  // and a POSIX shell word splitter gives the arguments back
  assert.deepEqual(splitShellWords(cmd).words.slice(2), toHubbleObserveArgs(parseHubbleObserveCommand(cmd)));
});

test("pasted commands parse into queries", () => {
  const cases: [string, FlowQuery][] = [
    [
      "hubble observe --namespace shop --verdict DROPPED --from-pod shop/frontend -t drop --since 5m",
      q({ namespaces: ["shop"], verdicts: ["DROPPED"], filters: ["from:pod=shop/frontend", "type=drop"], since: "5m" }),
    ],
    ["hubble observe -n shop -n=web -nkube-system", q({ namespaces: ["shop", "web", "kube-system"] })],
    ["hubble observe --since=5m --until='2024-05-01T12:00:00Z'", q({ since: "5m", until: "2024-05-01T12:00:00Z" })],
    ['hubble observe --label "app in (a,b)" -l k3', q({ filters: ["label=app in (a,b)", "label=k3"] })],
    ["hubble observe -fn shop -t drop", q({ namespaces: ["shop"], filters: ["type=drop"] })],
    ["hubble observe -tdrop -4", q({ filters: ["type=drop", "ip-version=v4"] })],
    ["hubble observe --not --namespace kube-system --not --to-port 53", q({ filters: ["!namespace=kube-system", "!to:port=53"] })],
    ["hubble observe --not --since 5m --pod x", q({ filters: ["!pod=x"], since: "5m" })],
    ["hubble observe flows --verdict dropped", q({ verdicts: ["DROPPED"] })],
    ["--pod x --protocol TCP", q({ filters: ["pod=x", "protocol=tcp"] })],
    ["observe --drop-reason-desc POLICY_DENIED", q({ filters: ["drop-reason=POLICY_DENIED"] })],
    ["kubectl -n kube-system exec ds/cilium -- hubble observe --to-pod default/x", q({ filters: ["to:pod=default/x"] })],
    ["$ ./hubble observe \\\n  --http-status 5+ \\\n  --http-method GET", q({ filters: ["http-status=5+", "http-method=GET"] })],
    ["hubble observe --node-name=k8s* --traffic-direction=egress", q({ filters: ["node=k8s*", "traffic-direction=egress"] })],
    ["hubble observe --port 443 -- ", q({ filters: ["port=443"] })],
  ];
  for (const [cmd, want] of cases) {
    assert.deepEqual(parseHubbleObserveCommand(cmd), want, cmd);
  }
});

test("flags that do not filter are accepted and reported as ignored", () => {
  const r = analyzeHubbleObserveCommand("hubble observe -o jsonpb --follow --last 100 --print-raw-filters --server relay:4245 --tls -P --until 1m -n shop | jq .flow");
  assert.deepEqual(r.query, q({ namespaces: ["shop"] }));
  assert.deepEqual(r.ignored, [
    'everything from "| jq .flow" on (another command)',
    "-o jsonpb",
    "--follow",
    "--last 100",
    "--print-raw-filters",
    "--server relay:4245",
    "--tls",
    "-P",
    "--until 1m (the CLI does not send it with --follow)",
  ]);
});

test("combinations the CLI refuses are accepted with the CLI's message as a warning", () => {
  const r = analyzeHubbleObserveCommand("hubble observe --namespace shop --from-pod shop/frontend --not --label a --not --from-label b");
  assert.deepEqual(r.warnings, [
    "filters --from-pod and --namespace cannot be combined: the hubble CLI refuses this combination; Hubble Lens applies it as written",
    "filters --label and --from-label cannot be combined: the hubble CLI refuses this --not combination; Hubble Lens applies it as written",
  ]);
  assert.deepEqual(cliConflicts(q({ filters: ["ip=1.2.3.4", "from:fqdn=x.io"] })), [{ list: "whitelist", message: "filters --from-fqdn and --ip cannot be combined" }]);
  assert.deepEqual(cliConflicts(q({ namespaces: ["shop", "web"], filters: ["pod=shop/x"] })), [
    { list: "whitelist", message: 'namespace conflict: "web" does not contain "shop/x"' },
  ]);
  assert.deepEqual(cliConflicts(q({ namespaces: ["shop"], filters: ["pod=x", "verdict=DROPPED"] })), []);
});

test("bad commands fail naming the flag or value", () => {
  const cases: [string, RegExp][] = [
    ["hubble observe --bogus 1", /unknown flag --bogus/],
    ["hubble observe --namespac shop", /unknown flag --namespac \(did you mean --namespace\?\)/],
    ["hubble observe -z", /unknown shorthand flag: "z" in -z/],
    ["hubble observe --pod", /flag needs an argument: --pod/],
    ["hubble observe -n", /flag needs an argument: -n/],
    ["hubble observe --verdict DROP", /invalid --verdict value "DROP": unknown verdict/],
    ["hubble observe --http-status 600", /invalid --http-status value "600"/],
    ["hubble observe --not --not --pod x", /consecutive --not statements/],
    ["hubble observe --pod x --not", /trailing --not/],
    ["hubble observe shop", /unexpected argument "shop"/],
    ["hubble status", /only "hubble observe" commands can be read, not "hubble status"/],
    ["hubble observe --cel-expression 'true'", /--cel-expression is a hubble observe filter that Hubble Lens cannot show/],
    ["hubble observe -A --pod x", /--all-namespaces is a hubble observe filter/],
    ["hubble observe --since 'yesterday'", /invalid time "yesterday"/],
    ["hubble observe --pod 'x", /single quote \('\) is not closed/],
    ["hubble observe --namespace shop --pod other/x", /outside the namespace selection/],
    ["hubble observe --allowlist '{bad'", /invalid --allowlist value/],
  ];
  for (const [cmd, pattern] of cases) {
    assert.throws(
      () => parseHubbleObserveCommand(cmd),
      (e: unknown) => e instanceof HubbleCommandError && pattern.test(e.message),
      cmd,
    );
  }
});

test("query → command → query round-trips, using raw allow/deny lists where the CLI refuses the flags", () => {
  const queries = [
    q({}),
    q({ namespaces: ["shop"], verdicts: ["DROPPED"], filters: ["pod=frontend", "http-status=5+", "!to:port=53"], since: "15m" }),
    q({ filters: ["from:label=app in (a,b)", "to:fqdn=*.cilium.io", "http-path=it's", "type=trace:to-endpoint"], until: "2024-05-01T12:00:00Z" }),
    q({ filters: ["from:pod=a", "to:identity=world", "workload=Deployment/x", "tcp-flags=SYN,ACK", "ip-version=v6"] }),
    // the CLI refuses these flags together: written as --allowlist / --denylist JSON
    q({ namespaces: ["shop"], verdicts: ["DROPPED"], filters: ["from:pod=shop/frontend", "label=app=x"], since: "5m" }),
    q({ filters: ["!label=a", "!from:label=b", "pod=x"] }),
  ];
  for (const query of queries) {
    const cmd = toHubbleObserveCommand(query);
    const back = parseHubbleObserveCommand(cmd);
    assert.deepEqual(toHubbleFilters(back), toHubbleFilters(query), cmd);
    assert.equal(toHubbleObserveCommand(back), cmd, cmd);
  }
  // The flag-only queries come back entry for entry (identity names become numbers only via raw JSON).
  assert.deepEqual(parseHubbleObserveCommand(toHubbleObserveCommand(queries[1])), queries[1]);
  assert.deepEqual(parseHubbleObserveCommand(toHubbleObserveCommand(queries[4])), queries[4]);
});

test("a namespace picker implied by the chosen pods is left out of the command instead of raw JSON", () => {
  const cases: [FlowQuery, string][] = [
    [
      q({ namespaces: ["shop"], verdicts: ["DROPPED"], filters: ["from:pod=shop/frontend", "type=drop"], since: "5m" }),
      "hubble observe --verdict DROPPED --from-pod shop/frontend --type drop --since 5m",
    ],
    [
      q({ namespaces: ["shop", "web"], filters: ["to:pod=web/api", "from:label=app=x", "!namespace=kube-system"] }),
      "hubble observe --to-pod web/api --from-label app=x --not --namespace kube-system",
    ],
  ];
  for (const [query, want] of cases) {
    assert.equal(toHubbleObserveCommand(query), want);
    // Same flows: the namespace-less query's single filter is the union of the original pair.
    const original = toHubbleFilters(query).whitelist;
    const reduced = toHubbleFilters(parseHubbleObserveCommand(want)).whitelist;
    assert.equal(reduced.length, 1);
    assert.ok(original.some((f) => JSON.stringify(toJson(FlowFilterSchema, f)) === JSON.stringify(toJson(FlowFilterSchema, reduced[0]))));
  }
  // Not implied (a direction-agnostic entry pairs differently per side): raw JSON it is.
  assert.match(toHubbleObserveCommand(q({ namespaces: ["shop"], filters: ["from:pod=shop/a", "label=x"] })), /--allowlist/);
  // An edge from the selected namespace to another one: the source pod keeps the flows inside.
  assert.equal(toHubbleObserveCommand(q({ namespaces: ["shop"], filters: ["from:pod=shop/a", "to:pod=default/x"] })), "hubble observe --from-pod shop/a --to-pod default/x");
});

test("raw allowlist JSON is what --print-raw-filters prints", () => {
  const query = q({ namespaces: ["shop"], filters: ["from:pod=shop/frontend", "label=app=x"] });
  const args = toHubbleObserveArgs(query);
  const wl = toHubbleFilters(query).whitelist.map((f) => JSON.stringify(toJson(FlowFilterSchema, f, { useProtoFieldName: true })));
  assert.deepEqual(args, ["--allowlist", wl[0], "--allowlist", wl[1]]);
  assert.deepEqual(wl, ['{"source_pod":["shop/frontend"],"source_label":["app=x"]}', '{"source_pod":["shop/frontend"],"destination_pod":["shop/"],"destination_label":["app=x"]}']);
});

test("--encrypted and --unencrypted are the encrypted filter (FlowFilter.encrypted), as in the CLI", () => {
  const cases: [string, string[], unknown[], unknown[]][] = [
    ["hubble observe --encrypted", ["encrypted=true"], [{ encrypted: [true] }], []],
    [
      "hubble observe --unencrypted --namespace shop",
      ["encrypted=false"],
      [
        { source_pod: ["shop/"], encrypted: [false] },
        { destination_pod: ["shop/"], encrypted: [false] },
      ],
      [],
    ],
    ["hubble observe --not --encrypted", ["!encrypted=true"], [], [{ encrypted: [true] }]],
  ];
  for (const [command, entries, allow, deny] of cases) {
    const { query, warnings } = analyzeHubbleObserveCommand(command);
    assert.deepEqual(warnings, [], command);
    assert.deepEqual(
      query.filters.map((f) => `${f.negated ? "!" : ""}${f.kind}=${f.value}`),
      entries,
      command,
    );
    const f = toHubbleFilters(query);
    const json = (x: (typeof f.whitelist)[number]) => toJson(FlowFilterSchema, x, { useProtoFieldName: true });
    assert.deepEqual(f.whitelist.map(json), allow, command);
    assert.deepEqual(f.blacklist.map(json), deny, command);
    assert.deepEqual(parseHubbleObserveCommand(toHubbleObserveCommand(query)), query, `${command} round-trips`);
  }
  // The CLI refuses both in one list (they conflict); we apply it and say so.
  const both = analyzeHubbleObserveCommand("hubble observe --encrypted --unencrypted");
  assert.match(both.warnings[0], /^filters --encrypted and --unencrypted cannot be combined/);
});
