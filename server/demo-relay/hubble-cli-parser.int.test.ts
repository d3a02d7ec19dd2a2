import { before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { toJson } from "@bufbuild/protobuf";
import { parse as parseYaml } from "yaml";
import { FlowFilterSchema } from "@/proto/gen/flow/flow_pb";
import { analyzeHubbleObserveCommand, HubbleCommandError, splitShellWords, toHubbleFilters } from "@/lib/filter-model";
import { hubbleCli, runHubble } from "./testing/hubble-cli";

// Our pasted-command parser (lib/filter-model/cli.ts) against the upstream CLI's own
// `hubble observe --print-raw-filters`, which prints the allowlist and denylist it would send, for
// a table of commands as users write them. Both sides are compared as FlowFilter JSON (proto field
// names, the form the CLI prints). Where the CLI refuses a command, we accept it with the same
// message as a warning (see lib/filter-model/README.md, "Deviations from the CLI").
//
// This CLI predates hubble v0.12: it still refuses `--namespace` with `--pod` (newer ones put the
// namespace on the pod), ORs `--from-workload` with `--to-workload` and `--from-identity` with
// `--to-identity` or with other flags (newer ones AND them, as every other from/to pair), accepts
// `--namespace` with `--from-service`/`--to-service` (newer ones refuse it, as we do), and has no
// --drop-reason-desc, --http-url, --http-header, --traffic-direction, --cluster, --node-label,
// --interface, --snat-ip or --[un]encrypted; those are checked against the newer CLI's published
// expectations in lib/filter-model/*.test.ts. The table leaves those differences out.

const COMMANDS = [
  "hubble observe --namespace kube-system",
  "hubble observe --not --namespace kube-system",
  "hubble observe -n a -n b",
  "hubble observe --pod shop-backend/checkout",
  "hubble observe --pod checkout",
  "hubble observe --pod /checkout",
  "hubble observe --from-pod shop-backend/checkout --to-pod payments/payments-api",
  "hubble observe --from-namespace shop-backend --to-namespace payments",
  "hubble observe --label app=cart --label tier=frontend",
  "hubble observe -l 'app in (cart,checkout)'",
  "hubble observe --from-label app=cart --to-label 'k8s:app in (a,b)'",
  "hubble observe --from-label reserved:world",
  "hubble observe --ip 10.244.0.0/16",
  "hubble observe --from-ip 10.0.0.1 --to-ip 10.0.0.2",
  "hubble observe --ip 2001:db8::1",
  "hubble observe --fqdn '*.stripe.com'",
  "hubble observe --to-fqdn api.stripe.com",
  "hubble observe --from-fqdn api.stripe.com",
  "hubble observe --service shop-backend/cart",
  "hubble observe --to-service kube-system/kube-dns --from-service shop-backend/cart",
  "hubble observe --port 8080",
  "hubble observe --from-port 53 --to-port 443",
  "hubble observe --workload Deployment/checkout",
  "hubble observe --from-workload checkout",
  "hubble observe --to-workload StatefulSet/postgres --to-workload redis-cart",
  "hubble observe --identity world",
  "hubble observe --to-identity 12345",
  "hubble observe --from-identity host",
  "hubble observe --identity kube-apiserver --identity remote-node",
  "hubble observe --verdict DROPPED --verdict AUDIT",
  "hubble observe --not --verdict FORWARDED --not --verdict TRACED",
  "hubble observe --protocol http --protocol tcp",
  "hubble observe --tcp-flags SYN,ACK --tcp-flags FIN",
  "hubble observe -t trace:to-endpoint -t drop",
  "hubble observe -t policy-verdict -t 129",
  "hubble observe --type trace:from-endpoint --type l7",
  "hubble observe -t trace:to-overlay -t trace-sock",
  "hubble observe --http-status 5+ --http-method POST --http-path '^/v1/'",
  "hubble observe --http-status 404",
  "hubble observe --node-name 'shop-node-*'",
  "hubble observe --uuid 9b1f2c7e-8f1e-4c41-a9c6-2d3e4f5a6b7c",
  "hubble observe --trace-id 4bf92f3577b34da6a3ce929d0e0e4736",
  "hubble observe -4",
  "hubble observe -6 --ip-version none",
  "hubble observe --ipv4 --ipv6",
  "hubble observe --not --pod a/x --not --pod b/y",
  "hubble observe --namespace shop --not --label app=x --not --namespace kube-system",
  "hubble observe --pod x/y --service x/z",
  "hubble observe --to-pod shop/x --to-service shop/y --verdict DROPPED",
  "hubble observe --from-pod shop/a --port 80 --not --to-port 8080",
  "hubble observe --follow --since 5m -o jsonpb --namespace payments --print-node-name",
  "hubble observe flows --last 20 --to-namespace data --protocol udp",
  // Refused by the CLI; accepted by us with its message.
  "hubble observe --namespace shop --from-pod shop/frontend",
  "hubble observe --from-label app=x --label app=y",
  "hubble observe --pod default/x --fqdn a.b",
  "hubble observe --port 80 --to-port 81",
  "hubble observe --identity world --from-identity host",
];

type Lists = { allowlist: unknown[]; denylist: unknown[] };

/** What the CLI prints: YAML with one FlowFilter JSON string per list item. */
function parseRawFilters(yamlText: string): Lists {
  const doc = (parseYaml(yamlText) ?? {}) as { allowlist?: string[]; denylist?: string[] };
  return {
    allowlist: (doc.allowlist ?? []).map((s) => JSON.parse(s) as unknown),
    denylist: (doc.denylist ?? []).map((s) => JSON.parse(s) as unknown),
  };
}

function ours(command: string): { lists: Lists; warnings: string[] } {
  const { query, warnings } = analyzeHubbleObserveCommand(command);
  const f = toHubbleFilters(query);
  const json = (x: (typeof f.whitelist)[number]) => toJson(FlowFilterSchema, x, { useProtoFieldName: true });
  return { lists: { allowlist: f.whitelist.map(json), denylist: f.blacklist.map(json) }, warnings };
}

let cli: string;
before(async () => {
  cli = await hubbleCli();
});

describe("our hubble observe parser and the CLI's --print-raw-filters", () => {
  for (const command of COMMANDS) {
    it(command, async () => {
      const args = [...splitShellWords(command).words.slice(1), "--print-raw-filters"];
      const r = await runHubble(cli, args);
      let mine: ReturnType<typeof ours>;
      try {
        mine = ours(command);
      } catch (err) {
        if (err instanceof HubbleCommandError) assert.fail(`we refuse what the CLI answers with ${JSON.stringify(r)}: ${err.message}`);
        throw err;
      }
      if (r.code === 0) {
        assert.deepEqual(mine.warnings, [], "no warning for a command the CLI accepts");
        assert.deepEqual(mine.lists, parseRawFilters(r.stdout));
      } else {
        // e.g. `invalid argument "shop/frontend" for "--from-pod" flag: filters --from-pod and --namespace cannot be combined`
        const message = /flag: (.*)$/m.exec(r.stderr)?.[1];
        assert.ok(message, `the CLI says why: ${r.stderr}`);
        assert.equal(mine.warnings.length, 1, `one warning: ${message}`);
        assert.ok(mine.warnings[0].startsWith(`${message}:`), `${JSON.stringify(mine.warnings[0])} starts with the CLI's ${JSON.stringify(message)}`);
      }
    });
  }
});
