import "server-only";
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { z } from "zod";
import { ALL_NAMESPACES, namespacesAccess, type NamespaceAccess } from "@/lib/access/scope";
import type { Person } from "@/lib/auth/request";

// HUBBLE_LENS_ACCESS_FILE: who may see which namespaces.
//
//   users:                       # by user name (X-Forwarded-User, the OIDC user) or email
//     alice@example.com: [shop, payments]
//   groups:                      # by group (X-Forwarded-Groups, the OIDC groups claim)
//     platform: "*"              # every namespace
//     shop-team: [shop]
//
// A person sees the union of their own entry and their groups' entries; "*" anywhere means every
// namespace. Someone the file does not name sees none. Without the file, everyone who signs in
// sees every namespace. Read once at start: a change needs a restart (a rollout in Kubernetes).

export interface AccessRules {
  readonly users: ReadonlyMap<string, NamespaceAccess>;
  readonly groups: ReadonlyMap<string, NamespaceAccess>;
}

const NAMESPACE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

const GRANT_HINT = 'must be a list of namespaces, or "*" for every namespace';

const Grant = z.unknown().transform((raw, ctx): "*" | string[] => {
  if (raw === "*") return "*";
  if (!Array.isArray(raw) || raw.some((ns) => typeof ns !== "string")) {
    ctx.addIssue({ code: "custom", message: GRANT_HINT });
    return z.NEVER;
  }
  for (const ns of raw as string[]) {
    if (ns !== "*" && (!NAMESPACE.test(ns) || ns.length > 63)) {
      ctx.addIssue({ code: "custom", message: `${JSON.stringify(ns.slice(0, 80))} is not a namespace name` });
      return z.NEVER;
    }
  }
  return raw as string[];
});

const AccessFileSchema = z.strictObject(
  {
    users: z.record(z.string().min(1), Grant, { error: "users must map user names or emails to lists of namespaces" }).optional(),
    groups: z.record(z.string().min(1), Grant, { error: "groups must map group names to lists of namespaces" }).optional(),
  },
  {
    error: (issue) =>
      issue.code === "unrecognized_keys" ? `unknown ${issue.keys.join(", ")}: the file has users: and groups: only` : "must be a mapping with users: and/or groups:",
  },
);

function toAccess(grant: "*" | string[]): NamespaceAccess {
  return grant === "*" || grant.includes("*") ? ALL_NAMESPACES : namespacesAccess(grant);
}

/** Parses the file's text; throws an Error whose message says what to fix. */
export function parseAccessRules(text: string): AccessRules {
  let doc: unknown;
  try {
    doc = parse(text, { maxAliasCount: 100 });
  } catch (err) {
    throw new Error(`not valid YAML: ${err instanceof Error ? err.message.split("\n")[0] : String(err)}`);
  }
  const parsed = AccessFileSchema.safeParse(doc ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new Error(`${issue.path.length > 0 ? `${issue.path.join(".")}: ` : ""}${issue.message}`);
  }
  const users = new Map<string, NamespaceAccess>();
  for (const [name, grant] of Object.entries(parsed.data.users ?? {})) users.set(userKey(name), toAccess(grant));
  const groups = new Map<string, NamespaceAccess>();
  for (const [name, grant] of Object.entries(parsed.data.groups ?? {})) groups.set(name, toAccess(grant));
  return { users, groups };
}

export function readAccessRules(path: string): AccessRules {
  return parseAccessRules(readFileSync(path, "utf8"));
}

/** User names and emails match case-insensitively (emails are, and user names rarely differ by case alone). */
function userKey(name: string): string {
  return name.trim().toLowerCase();
}

/** What `person` may see under `rules`; null rules (no access file): everything. */
export function accessFor(person: Person, rules: AccessRules | null): NamespaceAccess {
  if (rules === null) return ALL_NAMESPACES;
  const grants: NamespaceAccess[] = [];
  for (const name of new Set([person.user, person.email].filter((n): n is string => !!n).map(userKey))) {
    const g = rules.users.get(name);
    if (g) grants.push(g);
  }
  for (const group of person.groups) {
    const g = rules.groups.get(group);
    if (g) grants.push(g);
  }
  if (grants.some((g) => g.all)) return ALL_NAMESPACES;
  const namespaces = new Set<string>();
  for (const g of grants) if (!g.all) for (const ns of g.namespaces) namespaces.add(ns);
  return namespacesAccess(namespaces);
}
