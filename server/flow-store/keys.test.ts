import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { describe, it } from "node:test";
import { keyBytes, keyFromBytes } from "./keys";

// keyBytes reads uuids by hand; what it stores must be what the pattern-and-hex reading stored.
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
function reference(key: string): Buffer {
  if (UUID.test(key)) return Buffer.from(key.replace(/-/g, ""), "hex");
  return Buffer.concat([Buffer.from([0xff]), Buffer.from(key, "utf8"), Buffer.from([0xff])]);
}

describe("flow keys as stored", () => {
  it("a uuid in either case is its 16 bytes, anything else its UTF-8 between 0xff bytes, as before", () => {
    const uuid = "9cdcff3c-1976-4f97-91d8-c2ae54703291";
    const keys = [uuid, uuid.toUpperCase(), "C|123|node|10.0.0.1", "", "é", "\ud800 lone surrogate", uuid.slice(1), `${uuid}0`];
    // One character changed at every position, to every character that is close to a hex digit or a dash.
    for (let i = 0; i < uuid.length; i++) for (const c of "-0 9aAfFgG/:@`é") keys.push(uuid.slice(0, i) + c + uuid.slice(i + 1));
    for (let i = 0; i < 200; i++) keys.push(randomUUID());
    for (const key of keys) assert.deepEqual(keyBytes(key), reference(key), key);
  });

  it("read back as written (uuids lower case)", () => {
    for (const key of ["9cdcff3c-1976-4f97-91d8-c2ae54703291", "c|123|node|10.0.0.1"]) assert.equal(keyFromBytes(keyBytes(key)), key);
    assert.equal(keyFromBytes(keyBytes("9CDCFF3C-1976-4F97-91D8-C2AE54703291")), "9cdcff3c-1976-4f97-91d8-c2ae54703291");
  });
});
