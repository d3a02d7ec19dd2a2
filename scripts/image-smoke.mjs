#!/usr/bin/env node
// The requests scripts/image-test.sh makes to the server running in the image: the probes, a
// page, the first Server-Sent Events of /api/flows, and /metrics with flows counted. Exits 0 when
// all answer as they should, 1 with what was wrong otherwise.
//
//   node scripts/image-smoke.mjs http://127.0.0.1:3510
const base = process.argv[2];
if (!base) {
  console.error("usage: image-smoke.mjs BASE_URL");
  process.exit(2);
}
const START_TIMEOUT_MS = Number(process.env.IMAGE_SMOKE_START_TIMEOUT_MS ?? 120_000);

function fail(message) {
  console.error(`image-smoke: ${message}`);
  process.exit(1);
}

async function get(path, init) {
  return fetch(new URL(path, base), { ...init, signal: init?.signal ?? AbortSignal.timeout(15_000) });
}

/** Polls until `check` returns a value (not undefined), or fails after `ms`. */
async function until(what, ms, check) {
  const deadline = Date.now() + ms;
  let last = "no answer";
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  fail(`${what} within ${ms} ms (last: ${last})`);
}

/** The value of an unlabelled sample in Prometheus text. */
function sample(text, name) {
  const line = text.split("\n").find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

const t0 = Date.now();
await until("/healthz did not answer 200", START_TIMEOUT_MS, async () => ((await get("/healthz")).status === 200 ? true : undefined));
console.log(`image-smoke: /healthz 200 after ${Date.now() - t0} ms`);

const ready = await until("/readyz did not become 200", 30_000, async () => {
  const r = await get("/readyz");
  return r.status === 200 ? r.json() : undefined;
});
console.log(`image-smoke: /readyz 200: ${JSON.stringify(ready.checks.relay.detail)}; store: ${ready.checks.store.detail}`);

const page = await get("/");
const html = await page.text();
if (page.status !== 200 || !html.includes("Hubble Lens")) fail(`GET / answered ${page.status} without the app's page`);
const asset = /<script[^>]+src="(\/_next\/static\/[^"]+\.js)"/.exec(html)?.[1];
if (!asset) fail("the page names no /_next/static script");
const js = await get(asset);
if (js.status !== 200) fail(`${asset} answered ${js.status}: the static assets are missing from the image`);
console.log(`image-smoke: GET / 200 (${html.length} bytes), ${asset} 200`);

// The first events of a live stream: ready, then flows from the demo relay.
const abort = new AbortController();
const flows = await get("/api/flows", { signal: abort.signal });
if (flows.status !== 200 || !flows.headers.get("content-type")?.startsWith("text/event-stream")) {
  fail(`/api/flows answered ${flows.status} ${flows.headers.get("content-type")}`);
}
const reader = flows.body.getReader();
const decoder = new TextDecoder();
let text = "";
const events = [];
let flowCount = 0;
const streamDeadline = Date.now() + 30_000;
while (flowCount === 0 && Date.now() < streamDeadline) {
  const { value, done } = await reader.read();
  if (done) break;
  text += decoder.decode(value, { stream: true });
  let end;
  while ((end = text.indexOf("\n\n")) >= 0) {
    const frame = text.slice(0, end);
    text = text.slice(end + 2);
    const name = /^event: (\S+)$/m.exec(frame)?.[1];
    const data = /^data: (.*)$/m.exec(frame)?.[1];
    if (!name || !data) continue;
    events.push(name);
    if (name === "flows") flowCount += JSON.parse(data).flows.length;
  }
}
if (events[0] !== "ready") fail(`/api/flows did not start with ready (got ${events.slice(0, 5).join(", ") || "nothing"})`);
if (flowCount === 0) fail(`/api/flows sent no flows within 30 s (events: ${events.join(", ")})`);
console.log(`image-smoke: /api/flows events ${events.join(", ")} (${flowCount} flows)`);

const metrics = await until("/metrics did not count the stream", 15_000, async () => {
  const r = await get("/metrics");
  const body = await r.text();
  if (r.status !== 200) throw new Error(`status ${r.status}`);
  return (sample(body, "hubble_lens_sse_subscribers") ?? 0) >= 1 && (sample(body, "hubble_lens_relay_flows_received_total") ?? 0) > 0 ? body : undefined;
});
abort.abort();
console.log(
  `image-smoke: /metrics: ${sample(metrics, "hubble_lens_relay_flows_received_total")} flows received, ` +
    `${sample(metrics, "hubble_lens_sse_bytes_total")} SSE bytes, ${sample(metrics, "hubble_lens_upstream_streams")} upstream stream(s)`,
);
