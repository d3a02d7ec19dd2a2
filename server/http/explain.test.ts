import { strict as assert } from "node:assert";
import { after, before, describe, it } from "node:test";
import type { PolicyService } from "@/server/policies";
import { envelope, shopFlow, twoVersionPolicyService } from "@/server/policies/testing";
import { explainResponse, MAX_EXPLAIN_BODY_BYTES } from "./explain";
import { ALL_NAMESPACES, namespacesAccess, type NamespaceAccess } from "@/lib/access/scope";

// POST /api/explain's body, called with real Requests against a directory source whose history
// has two versions: cart accepts client on 8080 (09:00), then only on 9090 (11:00). The flow
// happened at 10:00.

let fixture: Awaited<ReturnType<typeof twoVersionPolicyService>>;
let service: PolicyService;

before(async () => {
  fixture = await twoVersionPolicyService("hl-explain-api-");
  service = fixture.service;
});

after(() => fixture.close());

function post(body: unknown, init: RequestInit = {}): Promise<Response> {
  const text: BodyInit = typeof body === "string" || body instanceof Uint8Array ? (body as BodyInit) : JSON.stringify(body);
  return explainResponse(new Request("http://lens.test/api/explain", { method: "POST", body: text, headers: { "Content-Type": "application/json" }, ...init }), service);
}

async function expectError(res: Response, status: number, message: RegExp): Promise<void> {
  assert.equal(res.status, status);
  const body = (await res.json()) as { error: { code: string; message: string } };
  assert.deepEqual(Object.keys(body), ["error"]);
  assert.equal(body.error.code, ({ 413: "too-large", 415: "unsupported-media-type", 409: "no-policies" } as Record<number, string>)[status] ?? "invalid-explain-request");
  assert.match(body.error.message, message);
  assert.doesNotMatch(body.error.message, /\n\s+at /);
}

const flow = shopFlow("client", 8080);

describe("POST /api/explain", () => {
  it("explains against the policies in force at the flow's time, and says which version", async () => {
    const res = await post({ flow });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("X-Hubble-Lens-Policy-Version"), "1");
    assert.equal(res.headers.get("X-Hubble-Lens-Policy-Since"), "2026-01-01T09:00:00.000Z");
    const explanation = (await res.json()) as { verdict: string; decisive: { name: string } | null };
    assert.equal(explanation.verdict, "allowed");
    assert.equal(explanation.decisive?.name, "cart-ingress");
  });

  it('compares with now when asked ("at": "now")', async () => {
    const res = await post({ flow, at: "now" });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("X-Hubble-Lens-Policy-Version"), "2");
    assert.equal(((await res.json()) as { verdict: string }).verdict, "denied");
  });

  it("uses the current policies for a flow without a time", async () => {
    const { time: _t, ...timeless } = flow;
    void _t;
    const res = await post({ flow: timeless });
    assert.equal(res.headers.get("X-Hubble-Lens-Policy-Version"), "2");
  });

  it("returns exactly what the CLI prints: the Explanation and nothing else", async () => {
    const body = (await (await post({ flow })).json()) as Record<string, unknown>;
    assert.deepEqual(Object.keys(body).sort(), ["decision", "decisive", "enforcementPoint", "evidence", "isolating", "nearMisses", "reason", "suggestion", "verdict"]);
  });

  it("takes the hubble observe -o json line as the body, or inside flow", async () => {
    for (const body of [envelope(flow), { flow: envelope(flow) }]) {
      const res = await post(body);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("X-Hubble-Lens-Policy-Version"), "1");
      assert.equal(((await res.json()) as { verdict: string }).verdict, "allowed");
    }
  });

  it("applies settings over the configured ones", async () => {
    const res = await post({ flow, settings: { "policy-enforcement-mode": "never" } });
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { decision: string }).decision, "not-enforced");
  });

  const bad: Array<{ name: string; body: unknown; message: RegExp }> = [
    { name: "a body that is not JSON", body: "flow=1", message: /not valid JSON/ },
    { name: "a body without a flow", body: { settings: {} }, message: /the body must be a JSON object with a "flow"/ },
    { name: "a JSON array", body: [flow], message: /the body must be a JSON object with a "flow"|expected object/ },
    { name: "a flow that is not an object", body: { flow: [1, 2] }, message: /^flow: the input is not a JSON object/ },
    { name: "an unknown setting", body: { flow, settings: { "enable-magic": true } }, message: /^settings: unknown setting "enable-magic"/ },
    {
      name: "a bad setting value",
      body: { flow, settings: { "policy-enforcement-mode": "sometimes" } },
      message: /^settings: policy-enforcement-mode must be default or always or never/,
    },
    { name: "settings that are not an object", body: { flow, settings: "always" }, message: /^settings: settings must be an object/ },
    { name: "a flow without endpoints or verdict", body: { flow: { nope: 1 } }, message: /^flow: this is not a Hubble flow: it has no verdict, no source .*, no destination/ },
    { name: "a flow without a verdict", body: { flow: { ...flow, verdict: undefined } }, message: /^flow: this is not a Hubble flow: it has no verdict;/ },
    { name: "JSON nested 100,000 levels deep", body: `{"flow":${"[".repeat(100_000)}${"]".repeat(100_000)}}`, message: /nested more than 64 levels/ },
    { name: "a body that is not UTF-8", body: new Uint8Array([0x7b, 0xff, 0x7d]), message: /not valid UTF-8/ },
    { name: "an unknown at", body: { flow, at: "yesterday" }, message: /at: at must be "flow"/ },
  ];
  for (const b of bad) {
    it(`answers 400 with a message for ${b.name}`, async () => {
      await expectError(await post(b.body), 400, b.message);
    });
  }

  it("answers 413 for a body over 1 MB, declared or streamed", async () => {
    const big = JSON.stringify({ flow: { ...flow, Summary: "x".repeat(MAX_EXPLAIN_BODY_BYTES) } });
    await expectError(await post(big), 413, /larger than 1 MB/);
    const chunk = new TextEncoder().encode("x".repeat(64 * 1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent > MAX_EXPLAIN_BODY_BYTES * 2) return controller.close();
        sent += chunk.byteLength;
        controller.enqueue(chunk);
      },
    });
    const res = await explainResponse(
      new Request("http://lens.test/api/explain", { method: "POST", body: stream, headers: { "Content-Type": "application/json" }, duplex: "half" } as RequestInit),
      service,
    );
    await expectError(res, 413, /larger than 1 MB/);
    assert.ok(sent < MAX_EXPLAIN_BODY_BYTES * 2, "stopped reading early");
  });

  it("answers 415 to a body that is not sent as JSON (a cross-site form post)", async () => {
    await expectError(await post(JSON.stringify({ flow }), { headers: { "Content-Type": "text/plain" } }), 415, /Content-Type: application\/json/);
  });

  it("answers 409 when no policy source is configured: it cannot explain or compare", async () => {
    const { loadServerConfig } = await import("@/server/config/env");
    const { createPolicyService } = await import("@/server/policies");
    const none = await createPolicyService(loadServerConfig({ HUBBLE_LENS_POLICY_SOURCE: "none" }), undefined);
    try {
      const res = await explainResponse(
        new Request("http://lens.test/api/explain", { method: "POST", body: JSON.stringify({ flow, at: "now" }), headers: { "Content-Type": "application/json" } }),
        none,
      );
      await expectError(res, 409, /no policies are loaded.*cannot be explained or compared/);
    } finally {
      await none.close();
    }
  });
});

describe("POST /api/explain with namespace-scoped access", () => {
  const ask = (access: NamespaceAccess) =>
    explainResponse(
      new Request("http://lens.test/api/explain", { method: "POST", body: JSON.stringify({ flow }), headers: { "Content-Type": "application/json" } }),
      service,
      access,
    );

  it("refuses (403) a flow neither of whose ends is in the person's namespaces", async () => {
    const res = await ask(namespacesAccess(["billing"]));
    assert.equal(res.status, 403);
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, "forbidden-namespace");
  });

  it("explains a flow of their namespace as someone who sees every namespace would, when its policies are theirs", async () => {
    const scoped = (await (await ask(namespacesAccess(["shop"]))).json()) as { reason: string };
    const all = (await (await ask(ALL_NAMESPACES)).json()) as { reason: string };
    assert.equal(scoped.reason, all.reason);
  });
});
