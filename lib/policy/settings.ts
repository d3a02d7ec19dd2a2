// Cluster settings from `key=value` assignments, as the CLI's `--setting`, the
// HUBBLE_LENS_CILIUM_SETTINGS variable and POST /api/explain give them. Keys are cilium-agent's
// option names; values are checked, and a bad one is reported with what would be accepted.

import { type ClusterSettings, DEFAULT_SETTINGS } from "./types";

type Key = keyof ClusterSettings;

const CHOICES: { readonly [K in Key]: readonly string[] } = {
  "policy-enforcement-mode": ["default", "always", "never"],
  "enable-host-firewall": ["true", "false"],
  "allow-localhost": ["auto", "always", "policy"],
  "enable-non-default-deny-policies": ["true", "false"],
  "enable-node-selector-labels": ["true", "false"],
};

export const SETTING_KEYS = Object.keys(CHOICES) as Key[];

export type SettingsResult = { readonly ok: true; readonly settings: ClusterSettings } | { readonly ok: false; readonly message: string };

/** One setting from its text value; an error message when the key or value is not known. */
export function withSetting(settings: ClusterSettings, key: string, value: string): SettingsResult {
  if (!(SETTING_KEYS as string[]).includes(key)) {
    return { ok: false, message: `unknown setting ${JSON.stringify(key.slice(0, 80))}; known: ${SETTING_KEYS.join(", ")}` };
  }
  const k = key as Key;
  const v = value.trim().toLowerCase();
  if (!CHOICES[k].includes(v)) {
    return { ok: false, message: `${k} must be ${CHOICES[k].join(" or ")} (got ${JSON.stringify(value.slice(0, 80))})` };
  }
  const typed = v === "true" ? true : v === "false" ? false : v;
  return { ok: true, settings: { ...settings, [k]: typed } as ClusterSettings };
}

/** `key=value` assignments applied in order over `base` (Cilium's defaults unless given). */
export function parseSettingAssignments(assignments: readonly string[], base: ClusterSettings = DEFAULT_SETTINGS): SettingsResult {
  let settings = base;
  for (const a of assignments) {
    const text = a.trim();
    if (text === "") continue;
    const eq = text.indexOf("=");
    if (eq <= 0) return { ok: false, message: `a setting is key=value, e.g. policy-enforcement-mode=always (got ${JSON.stringify(text.slice(0, 80))})` };
    const r = withSetting(settings, text.slice(0, eq).trim(), text.slice(eq + 1));
    if (!r.ok) return r;
    settings = r.settings;
  }
  return { ok: true, settings };
}

/** Settings from a JSON object (POST /api/explain): values may be strings or booleans. */
export function parseSettingsObject(value: unknown, base: ClusterSettings = DEFAULT_SETTINGS): SettingsResult {
  if (value === undefined || value === null) return { ok: true, settings: base };
  if (typeof value !== "object" || Array.isArray(value)) return { ok: false, message: "settings must be an object of cilium-agent options" };
  let settings = base;
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (typeof v !== "string" && typeof v !== "boolean") return { ok: false, message: `${k.slice(0, 80)} must be a string or a boolean` };
    const r = withSetting(settings, k, String(v));
    if (!r.ok) return r;
    settings = r.settings;
  }
  return { ok: true, settings };
}
