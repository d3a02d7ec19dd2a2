import { strict as assert } from "node:assert";
import { describe, it } from "node:test";
import { type BodyRules, readBodyText, readJsonBody } from "./body";

// The one body reader's rules: the cap, and one rule for bad UTF-8 (refused with 400, never
// replaced by U+FFFD), wherever the bad bytes fall.

const RULES: BodyRules = { maxBytes: 64, invalidCode: "invalid-explain-request", what: "one flow" };

/** A POST whose body arrives in the given chunks (as a slow upload would). */
function post(chunks: Uint8Array[], type = "application/json"): Request {
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const c of chunks) controller.enqueue(c);
      controller.close();
    },
  });
  return new Request("http://lens.test/api/explain", { method: "POST", body, headers: { "content-type": type }, duplex: "half" } as RequestInit);
}

const bytes = (...b: number[]) => new Uint8Array(b);
const utf8 = (s: string) => new TextEncoder().encode(s);

async function errorOf(response: Response): Promise<{ status: number; code: string; message: string }> {
  const body = (await response.json()) as { error: { code: string; message: string } };
  return { status: response.status, ...body.error };
}

describe("the body reader's UTF-8 rule", () => {
  const refused: Array<{ name: string; chunks: Uint8Array[] }> = [
    { name: "a byte that never starts a character (0xff)", chunks: [bytes(0x7b, 0xff, 0x7d)] },
    { name: "a lone continuation byte", chunks: [bytes(0x7b, 0x80, 0x7d)] },
    { name: "an overlong encoding of '/'", chunks: [bytes(0x22, 0xc0, 0xaf, 0x22)] },
    { name: "a UTF-16 surrogate encoded as UTF-8", chunks: [bytes(0x22, 0xed, 0xa0, 0x80, 0x22)] },
    { name: "a character cut off at the end of the body", chunks: [utf8('"caf'), bytes(0xc3)] },
    { name: "a bad sequence split across two chunks", chunks: [utf8('"a'), bytes(0xe2, 0x82), bytes(0x41, 0x22)] },
  ];
  for (const c of refused) {
    it(`refuses ${c.name} with a 400 in the route's code`, async () => {
      const read = await readBodyText(post(c.chunks), RULES);
      assert.equal(read.ok, false);
      if (read.ok) return;
      assert.deepEqual(await errorOf(read.response), { status: 400, code: "invalid-explain-request", message: "the body is not valid UTF-8" });
    });
  }

  it("takes valid UTF-8 split anywhere, a multi-byte character across chunks included, and drops a leading BOM", async () => {
    const euro = utf8("€"); // e2 82 ac
    const read = await readBodyText(post([bytes(0xef, 0xbb), bytes(0xbf, 0x22), euro.slice(0, 1), euro.slice(1), utf8('ü"')]), RULES);
    assert.deepEqual(read, { ok: true, value: '"€ü"' });
  });

  it("never hands invalid bytes to JSON.parse as U+FFFD", async () => {
    const read = await readJsonBody(post([utf8('{"flow":"'), bytes(0xff), utf8('"}')]), RULES);
    assert.equal(read.ok, false);
    if (!read.ok) assert.equal((await errorOf(read.response)).status, 400);
  });

  it("answers 413 at the first byte past the cap, before judging the rest", async () => {
    const read = await readBodyText(post([new Uint8Array(60).fill(0x20), bytes(0x20, 0x20, 0x20, 0x20, 0x20, 0xff)]), RULES);
    assert.equal(read.ok, false);
    if (!read.ok) assert.equal((await errorOf(read.response)).code, "too-large");
  });

  it("answers 415 for a body that does not say it is JSON", async () => {
    const read = await readJsonBody(post([utf8("{}")], "text/plain"), RULES);
    assert.equal(read.ok, false);
    if (!read.ok)
      assert.deepEqual(await errorOf(read.response), { status: 415, code: "unsupported-media-type", message: "send one flow as JSON (Content-Type: application/json)" });
  });
});
