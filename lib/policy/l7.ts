// L7 rules (policy-semantics.md §9): HTTP method/path/host are anchored full-match regexes
// (RE2 via re2js: linear time, the same dialect as Envoy's safe_regex), headers are presence or
// exact value; DNS rules and toFQDNs share the FQDN pattern language; Kafka by role/apiKey/topic.

import { RE2JS } from "re2js";
import type { L7 } from "./flow";
import type { DnsRule, HttpRule, KafkaRule, L7Rules, Matcher } from "./model";

type Obj = Record<string, unknown>;

// Policies repeat the same few patterns ("GET", "/api/.*"); compiling each once keeps a
// few hundred policies compiling in milliseconds. Bounded: patterns come from policy files.
const compiledPatterns = new Map<string, Matcher>();

function regex(pattern: string): Matcher | string {
  const hit = compiledPatterns.get(pattern);
  if (hit) return hit;
  try {
    const re = RE2JS.compile(pattern);
    const m: Matcher = { source: pattern, test: (s) => re.matches(s) };
    if (compiledPatterns.size >= 4096) compiledPatterns.clear();
    compiledPatterns.set(pattern, m);
    return m;
  } catch (e) {
    return `invalid regex ${JSON.stringify(pattern.slice(0, 60))}: ${(e instanceof Error ? e.message : String(e)).slice(0, 80)}`;
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * A toFQDNs / DNS-rule selector: `matchName` exact (case-insensitive, trailing dot implied);
 * `matchPattern` where `*` is any DNS characters within one label, `*` alone every name, and a
 * leading `**.` one or more labels. The RegExp is built from the policy's text, escaped.
 */
export function fqdnMatcher(raw: unknown): { matches: (name: string) => boolean; text: string } | string {
  const o = typeof raw === "object" && raw !== null ? (raw as Obj) : {};
  const name = typeof o.matchName === "string" ? o.matchName : undefined;
  const pattern = typeof o.matchPattern === "string" ? o.matchPattern : undefined;
  if (name === undefined && pattern === undefined) return "needs matchName or matchPattern";
  if (name !== undefined) {
    const want = normaliseName(name);
    return { matches: (n) => normaliseName(n) === want, text: `matchName ${name}` };
  }
  const p = normaliseName(pattern!);
  if (p === "*") return { matches: () => true, text: "matchPattern *" };
  const label = "[-a-z0-9_]*";
  let body = p;
  let head = "";
  if (body.startsWith("**.")) {
    head = "(?:[-a-z0-9_]+\\.)+";
    body = body.slice(3);
  }
  const re = new RegExp(`^${head}${body.split("*").map(escapeRegExp).join(label)}$`);
  return { matches: (n) => re.test(normaliseName(n)), text: `matchPattern ${pattern}` };
}

function normaliseName(n: string): string {
  const lower = n.toLowerCase();
  return lower.endsWith(".") ? lower.slice(0, -1) : lower;
}

/** Compiles `toPorts[j].rules`; problems name the rule path. */
export function compileL7(raw: unknown, path: string, problems: string[]): L7Rules | null {
  if (raw === null || raw === undefined) return null;
  if (typeof raw !== "object" || Array.isArray(raw)) {
    problems.push(`${path}: rules must be an object`);
    return null;
  }
  const o = raw as Obj;
  const out: { path: string; http?: HttpRule[]; dns?: DnsRule[]; kafka?: KafkaRule[]; unsupported?: string } = { path };
  if (Array.isArray(o.http)) {
    out.http = [];
    o.http.forEach((h, k) => {
      const r = compileHttp(h, `${path}.http[${k}]`, problems);
      if (r) out.http!.push(r);
    });
  }
  if (Array.isArray(o.dns)) {
    out.dns = [];
    o.dns.forEach((d, k) => {
      const m = fqdnMatcher(d);
      if (typeof m === "string") problems.push(`${path}.dns[${k}]: ${m}`);
      else out.dns!.push({ path: `${path}.dns[${k}]`, matches: m.matches, text: m.text });
    });
  }
  if (Array.isArray(o.kafka)) {
    out.kafka = o.kafka.map((k, i) => compileKafka(k, `${path}.kafka[${i}]`));
  }
  if (o.l7proto !== undefined || o.l7 !== undefined) out.unsupported = `generic L7 rules (l7proto ${String(o.l7proto).slice(0, 40)})`;
  if (!out.http && !out.dns && !out.kafka && !out.unsupported) return null;
  return out;
}

function compileHttp(raw: unknown, path: string, problems: string[]): HttpRule | undefined {
  if (typeof raw !== "object" || raw === null) {
    problems.push(`${path}: an http rule must be an object`);
    return undefined;
  }
  const o = raw as Obj;
  const parts: string[] = [];
  const field = (name: string): Matcher | undefined | null => {
    const v = o[name];
    if (v === undefined || v === null || v === "") return undefined;
    const m = regex(String(v));
    if (typeof m === "string") {
      problems.push(`${path}.${name}: ${m}`);
      return null;
    }
    parts.push(`${name} ${String(v)}`);
    return m;
  };
  const method = field("method");
  const pathRe = field("path");
  const host = field("host");
  if (method === null || pathRe === null || host === null) return undefined;
  const headers: { name: string; value?: string }[] = [];
  if (Array.isArray(o.headers)) {
    for (const h of o.headers) {
      if (typeof h !== "string") continue;
      const colon = h.indexOf(":");
      headers.push(colon < 0 ? { name: h.trim() } : { name: h.slice(0, colon).trim(), value: h.slice(colon + 1).trim() });
      parts.push(`header ${h}`);
    }
  }
  if (Array.isArray(o.headerMatches)) {
    for (const hm of o.headerMatches) {
      if (typeof hm !== "object" || hm === null) continue;
      const { name, value, mismatch } = hm as Obj;
      // LOG/ADD/DELETE/REPLACE keep the rule matching; only the default mismatch action fails it.
      if (typeof name !== "string" || (typeof mismatch === "string" && mismatch !== "")) continue;
      headers.push(typeof value === "string" ? { name, value } : { name });
      parts.push(`header ${name}${typeof value === "string" ? `: ${value}` : ""}`);
    }
  }
  return {
    path,
    ...(method ? { method } : {}),
    ...(pathRe ? { pathRe } : {}),
    ...(host ? { host } : {}),
    headers,
    text: parts.length ? parts.join(", ") : "any request",
  };
}

const KAFKA_ROLES: Record<string, string[]> = {
  produce: ["produce", "metadata", "apiversions"],
  consume: ["fetch", "offsets", "metadata", "offsetcommit", "offsetfetch", "findcoordinator", "joingroup", "heartbeat", "leavegroup", "syncgroup", "apiversions"],
};

function compileKafka(raw: unknown, path: string): KafkaRule {
  const o = typeof raw === "object" && raw !== null ? (raw as Obj) : {};
  const role = typeof o.role === "string" ? o.role.toLowerCase() : undefined;
  const apiKey = typeof o.apiKey === "string" ? o.apiKey.toLowerCase() : undefined;
  const topic = typeof o.topic === "string" ? o.topic : undefined;
  const apiKeys = role ? (KAFKA_ROLES[role] ?? []) : apiKey ? [apiKey] : null;
  const text = [role && `role ${role}`, apiKey && `apiKey ${apiKey}`, topic && `topic ${topic}`].filter(Boolean).join(", ") || "any request";
  return { path, apiKeys, ...(topic !== undefined ? { topic } : {}), text };
}

export function httpRuleMatches(r: HttpRule, req: Extract<L7, { kind: "http" }>): boolean {
  if (r.method && !r.method.test(req.method)) return false;
  if (r.pathRe && !r.pathRe.test(req.path)) return false;
  if (r.host && !r.host.test(req.host)) return false;
  for (const h of r.headers) {
    const name = h.name.toLowerCase();
    const found = req.headers.find((x) => x.key.toLowerCase() === name);
    if (!found) return false;
    if (h.value !== undefined && found.value !== h.value) return false;
  }
  return true;
}

/** Why a request does not match an http rule: the first field that fails. */
export function httpWhyNot(r: HttpRule, req: Extract<L7, { kind: "http" }>): string {
  const q = (s: string) => JSON.stringify(s.slice(0, 120));
  if (r.method && !r.method.test(req.method)) return `method ${q(req.method)} does not match ${q(r.method.source)}`;
  if (r.pathRe && !r.pathRe.test(req.path)) return `path ${q(req.path)} does not match ${q(r.pathRe.source)} (a full match)`;
  if (r.host && !r.host.test(req.host)) return `host ${q(req.host)} does not match ${q(r.host.source)}`;
  for (const h of r.headers) {
    const found = req.headers.find((x) => x.key.toLowerCase() === h.name.toLowerCase());
    if (!found) return `header ${q(h.name)} is missing`;
    if (h.value !== undefined && found.value !== h.value) return `header ${q(h.name)} is not ${q(h.value)}`;
  }
  return "matches";
}

export function kafkaRuleMatches(r: KafkaRule, req: Extract<L7, { kind: "kafka" }>): boolean {
  if (r.apiKeys && !r.apiKeys.includes(req.apiKey.toLowerCase())) return false;
  if (r.topic !== undefined && r.topic !== req.topic) return false;
  return true;
}
