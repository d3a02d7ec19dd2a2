import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { jsonDepthExceeds, parseJsonBounded } from "./body";
import { ObjectStreamError, ObjectStreamSplitter } from "./json-stream";

// The streaming splitter behind POST /api/investigations, fed the same text in chunks of every
// size, must give what JSON.parse would, or refuse with the status the rule calls for.

const RULES = { arrayKey: "flows", maxElementChars: 200, maxMemberChars: 100, maxDepth: 8 };

function split(text: string, chunkSize: number): { members: Record<string, unknown>; flows: unknown[] } {
  const flows: unknown[] = [];
  const s = new ObjectStreamSplitter(RULES, (t) => flows.push(JSON.parse(t)));
  for (let i = 0; i < text.length; i += chunkSize) s.push(text.slice(i, i + chunkSize));
  const members: Record<string, unknown> = {};
  for (const [k, v] of s.end()) members[k] = JSON.parse(v);
  return { members, flows };
}

function refusal(text: string, chunkSize = 7): ObjectStreamError {
  try {
    split(text, chunkSize);
  } catch (err) {
    if (err instanceof ObjectStreamError || err instanceof SyntaxError) return err as ObjectStreamError;
    throw err;
  }
  assert.fail(`accepted ${text}`);
}

describe("ObjectStreamSplitter", () => {
  const body = {
    title: 'a "quoted" } ] , title\\',
    flows: [{ a: [1, { b: "]}," }] }, { c: null }, "s", 3, []],
    note: "n",
    view: { nested: [1, 2] },
  };
  const text = ` \n${JSON.stringify(body, null, 1)}\n `;

  for (const size of [1, 2, 3, 5, 16, 1000]) {
    it(`gives the members and each flow as JSON.parse would, in chunks of ${size}`, () => {
      const { members, flows } = split(text, size);
      assert.deepEqual(flows, body.flows);
      assert.deepEqual(members, { title: body.title, note: body.note, view: body.view });
    });
  }

  it("takes an empty flows array and flows given first or last", () => {
    assert.deepEqual(split('{"flows":[]}', 3).flows, []);
    assert.deepEqual(split('{"flows":[1],"x":2}', 1), { members: { x: 2 }, flows: [1] });
  });

  const bad: Array<[string, string, 400 | 413, RegExp]> = [
    ["not an object", "[1,2]", 400, /must be a JSON object/],
    ["no flows", '{"title":"x"}', 400, /flows is required/],
    ["flows that are not an array", '{"flows":"x"}', 400, /flows must be an array/],
    ["a trailing comma", '{"flows":[1,]}', 400, /trailing comma/],
    ["flows given twice", '{"flows":[],"flows":[]}', 400, /given twice/],
    ["a member given twice", '{"a":1,"a":2,"flows":[]}', 400, /given twice/],
    ["a body that stops early", '{"flows":[1', 400, /ends before/],
    ["text after the object", '{"flows":[]} x', 400, /more after/],
    ["a missing colon", '{"flows" []}', 400, /expected ":"/],
    ["an unquoted key", "{title:1}", 400, /member name in double quotes/],
    ["a flow nested too deeply", `{"flows":[${"[".repeat(9)}${"]".repeat(9)}]}`, 400, /nested more than 8 levels/],
    ["a flow too large", `{"flows":["${"x".repeat(300)}"]}`, 413, /one of flows is over 200 characters/],
    ["a member too large", `{"note":"${"x".repeat(300)}","flows":[]}`, 413, /note is over 100 characters/],
  ];
  for (const [what, input, status, message] of bad) {
    it(`refuses ${what} with ${status}`, () => {
      const err = refusal(input);
      assert.ok(err instanceof ObjectStreamError, String(err));
      assert.equal(err.status, status);
      assert.match(err.message, message);
    });
  }

  it("never holds more than one element: a 10 MB string flow is refused at its first 200 characters", () => {
    const flows: string[] = [];
    const s = new ObjectStreamSplitter(RULES, (t) => flows.push(t));
    s.push('{"flows":["');
    assert.throws(() => {
      for (let i = 0; i < 10_000; i++) s.push("x".repeat(1024));
    }, /over 200 characters/);
  });
});

describe("JSON nesting bound", () => {
  it("counts brackets outside strings only", () => {
    assert.equal(jsonDepthExceeds('[[["[[[[[["]]]', 3), false);
    assert.equal(jsonDepthExceeds("[[[[]]]]", 3), true);
    assert.equal(jsonDepthExceeds('{"a":"\\\\"}[[[[', 3), true);
  });

  it("refuses 100,000 levels before JSON.parse, with a message instead of a stack overflow", () => {
    const r = parseJsonBounded(`${"[".repeat(100_000)}${"]".repeat(100_000)}`);
    assert.equal(r.ok, false);
    assert.match((r as { message: string }).message, /nested more than 64 levels/);
  });
});
