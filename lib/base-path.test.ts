import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parseBasePath, withBasePath } from "./base-path";

const require = createRequire(import.meta.url);
const NEXT_CONFIG = join(process.cwd(), "next.config.js");

/** next.config.js as Next.js loads it with this HUBBLE_LENS_BASE_PATH: its basePath, or the error. */
function nextConfigBasePath(raw: string | undefined): { ok: true; basePath: string } | { ok: false } {
  const saved = process.env.HUBBLE_LENS_BASE_PATH;
  if (raw === undefined) delete process.env.HUBBLE_LENS_BASE_PATH;
  else process.env.HUBBLE_LENS_BASE_PATH = raw;
  delete require.cache[require.resolve(NEXT_CONFIG)];
  try {
    const config = require(NEXT_CONFIG) as { basePath: string; env: Record<string, string> };
    assert.equal(config.env.HUBBLE_LENS_BUILT_BASE_PATH, config.basePath, "the build records the prefix it serves");
    return { ok: true, basePath: config.basePath };
  } catch (e) {
    if (e instanceof assert.AssertionError) throw e;
    return { ok: false };
  } finally {
    if (saved === undefined) delete process.env.HUBBLE_LENS_BASE_PATH;
    else process.env.HUBBLE_LENS_BASE_PATH = saved;
  }
}

const CASES: [string | undefined, string | null][] = [
  [undefined, ""],
  ["", ""],
  ["/", ""],
  [" /hubble-lens ", "/hubble-lens"],
  ["/hubble-lens", "/hubble-lens"],
  ["/hubble-lens/", "/hubble-lens"],
  ["/tools/hubble_lens.v2~x", "/tools/hubble_lens.v2~x"],
  ["hubble-lens", null],
  ["/hubble-lens//", null],
  ["//evil.example", null],
  ["/a//b", null],
  ["/a/../b", null],
  ["/.", null],
  ["/hubble lens", null],
  ["/hubble-lens?x=1", null],
  ["/hubble-lens#x", null],
  ["/%2e%2e", null],
  ["https://example.com/hubble-lens", null],
];

describe("base path", () => {
  it("parses HUBBLE_LENS_BASE_PATH into the canonical prefix, or says what is wrong", () => {
    for (const [raw, want] of CASES) {
      const got = parseBasePath(raw);
      if (want === null) {
        assert.equal(got.ok, false, `${JSON.stringify(raw)} should be refused`);
        if (!got.ok) assert.match(got.message, /URL path prefix such as \/hubble-lens/);
      } else {
        assert.deepEqual(got, { ok: true, basePath: want }, JSON.stringify(raw));
      }
    }
  });

  it("next.config.js applies the same rule as the server's configuration check", () => {
    for (const [raw, want] of CASES) {
      const got = nextConfigBasePath(raw);
      assert.deepEqual(got, want === null ? { ok: false } : { ok: true, basePath: want }, `next.config.js with ${JSON.stringify(raw)}`);
    }
  });

  it("puts paths under the prefix; the app's root is the prefix itself, as Next.js serves it", () => {
    assert.equal(withBasePath("/api/flows?namespace=shop", ""), "/api/flows?namespace=shop");
    assert.equal(withBasePath("/", ""), "/");
    assert.equal(withBasePath("/api/flows?namespace=shop", "/hubble-lens"), "/hubble-lens/api/flows?namespace=shop");
    assert.equal(withBasePath("/investigations/abc", "/hubble-lens"), "/hubble-lens/investigations/abc");
    assert.equal(withBasePath("/", "/hubble-lens"), "/hubble-lens");
    assert.equal(withBasePath("/?verdict=DROPPED", "/hubble-lens"), "/hubble-lens?verdict=DROPPED");
    assert.throws(() => withBasePath("api/flows", "/hubble-lens"), /absolute path/);
  });

  it("defaults to the prefix the build recorded", () => {
    const saved = process.env.HUBBLE_LENS_BUILT_BASE_PATH;
    try {
      process.env.HUBBLE_LENS_BUILT_BASE_PATH = "/lens";
      assert.equal(withBasePath("/api/status"), "/lens/api/status");
      delete process.env.HUBBLE_LENS_BUILT_BASE_PATH;
      assert.equal(withBasePath("/api/status"), "/api/status");
    } finally {
      if (saved === undefined) delete process.env.HUBBLE_LENS_BUILT_BASE_PATH;
      else process.env.HUBBLE_LENS_BUILT_BASE_PATH = saved;
    }
  });
});
