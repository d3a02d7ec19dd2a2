import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { parseSettingAssignments, parseSettingsObject } from "./settings";
import { DEFAULT_SETTINGS } from "./types";

describe("cluster settings", () => {
  it("starts from Cilium's defaults and applies assignments in order", () => {
    const r = parseSettingAssignments(["policy-enforcement-mode=always", "enable-host-firewall=true", "policy-enforcement-mode=never"]);
    assert.ok(r.ok);
    assert.deepEqual(r.settings, { ...DEFAULT_SETTINGS, "policy-enforcement-mode": "never", "enable-host-firewall": true });
  });
  it("names the unknown key and the accepted values", () => {
    const a = parseSettingAssignments(["policy-mode=always"]);
    assert.ok(!a.ok && /unknown setting "policy-mode"; known: policy-enforcement-mode/.test(a.message));
    const b = parseSettingAssignments(["allow-localhost=sometimes"]);
    assert.ok(!b.ok && /allow-localhost must be auto or always or policy \(got "sometimes"\)/.test(b.message));
    const c = parseSettingAssignments(["enable-host-firewall"]);
    assert.ok(!c.ok && /key=value/.test(c.message));
  });
  it("takes JSON objects with booleans or strings", () => {
    const r = parseSettingsObject({ "enable-non-default-deny-policies": false, "allow-localhost": "policy" });
    assert.ok(r.ok);
    assert.equal(r.settings["enable-non-default-deny-policies"], false);
    assert.equal(r.settings["allow-localhost"], "policy");
    assert.ok(!parseSettingsObject([1]).ok);
    assert.ok(!parseSettingsObject({ "allow-localhost": 3 }).ok);
  });
});
