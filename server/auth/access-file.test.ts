import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { accessKey } from "@/lib/access/scope";
import { accessFor, parseAccessRules } from "./access-file";

const RULES = parseAccessRules(`
users:
  Alice@Example.com: [shop]
  bob: [billing, payments]
groups:
  platform: "*"
  shop-team: [shop, shop-backend]
  readers: []
`);

const person = (user: string, groups: string[] = [], email: string | null = null) => ({ user, email, groups });

describe("HUBBLE_LENS_ACCESS_FILE: users and groups to namespaces", () => {
  const cases: Array<[string, ReturnType<typeof person>, string]> = [
    ["a user by email, case-insensitively", person("alice", [], "alice@example.com"), "shop"],
    ["a user by name", person("bob"), "billing,payments"],
    ["the union of the user's and the groups' namespaces", person("bob", ["shop-team"]), "billing,payments,shop,shop-backend"],
    ["every namespace through a group", person("carol", ["readers", "platform"]), "*"],
    ["nothing for someone the file does not name", person("mallory", ["strangers"]), ""],
    ["nothing through a group with an empty list", person("dave", ["readers"]), ""],
  ];
  for (const [what, p, want] of cases) it(what, () => assert.equal(accessKey(accessFor(p, RULES)), want));

  it("gives every namespace when there is no file", () => {
    assert.equal(accessKey(accessFor(person("anyone"), null)), "*");
  });

  it("refuses a file it cannot use, saying where", () => {
    const bad: Array<[string, RegExp]> = [
      ["users: [alice]", /users/],
      ["groups:\n  a: shop", /groups\.a: must be a list of namespaces/],
      ["groups:\n  a: [Not_A_Namespace]", /not a namespace name/],
      ["admins:\n  a: '*'", /admins|Unrecognized/i],
      ["users: {a: [shop]\n", /not valid YAML/],
    ];
    for (const [text, message] of bad) assert.throws(() => parseAccessRules(text), message, text);
  });

  it("takes an empty file: nobody sees anything", () => {
    assert.equal(accessKey(accessFor(person("alice"), parseAccessRules(""))), "");
  });
});
