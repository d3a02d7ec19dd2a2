import "server-only";
import { existsSync } from "node:fs";
import { z } from "zod";
import { parseSettingAssignments } from "@/lib/policy/settings";
import type { ClusterSettings } from "@/lib/policy/types";
import type { ConfigProblem } from "./problems";
import { pathValue, quote } from "./values";
import { variable, type ParsedValues } from "./variable";

// Where the policy explainer's network policies come from, and the cilium-agent options that
// change their outcome.

const POLICY_SOURCE = z.enum(["auto", "kubernetes", "directory", "demo", "none"], {
  error: (issue) => `must be auto, kubernetes, directory, demo or none (got ${quote(String(issue.input))})`,
});

const CILIUM_SETTINGS = z.string().transform((raw, ctx): ClusterSettings => {
  const result = parseSettingAssignments(raw.split(/[\s,]+/));
  if (!result.ok) {
    ctx.addIssue({ code: "custom", message: result.message });
    return z.NEVER;
  }
  return result.settings;
});

/** The policy source and the cluster settings the explainer assumes. */
export const POLICY_VARIABLES = {
  HUBBLE_LENS_POLICY_SOURCE: variable({
    default: "auto",
    description:
      "Where the network policies the explainer uses come from: kubernetes (list and watch through the " +
      "Kubernetes API, from KUBECONFIG, ~/.kube/config or the in-cluster service account), directory " +
      "(HUBBLE_LENS_POLICIES), demo (the demo scenario's policies) or none. auto: directory when " +
      "HUBBLE_LENS_POLICIES is set, else demo with the demo relay, else kubernetes when a kubeconfig or " +
      "service account is found, else none.",
    schema: POLICY_SOURCE,
  }),
  HUBBLE_LENS_POLICIES: variable({
    description:
      "A directory (searched recursively) or file of policy YAML, multi-document as kubectl apply takes it: " +
      "CiliumNetworkPolicy, CiliumClusterwideNetworkPolicy, NetworkPolicy, CiliumCIDRGroup, and Namespace " +
      "objects for namespace labels. Re-read when files change.",
    schema: pathValue,
  }),
  HUBBLE_LENS_CILIUM_SETTINGS: variable({
    defaultText: "Cilium's defaults",
    description:
      "cilium-agent options that change policy outcomes, as key=value separated by commas: " +
      "policy-enforcement-mode (default|always|never), enable-host-firewall (true|false), " +
      "allow-localhost (auto|always|policy), enable-non-default-deny-policies (true|false), " +
      "enable-node-selector-labels (true|false).",
    schema: CILIUM_SETTINGS,
  }),
} as const;

export interface PolicySourceSettings {
  source: "auto" | "kubernetes" | "directory" | "demo" | "none";
  /** HUBBLE_LENS_POLICIES. */
  path: string | null;
  settings: ClusterSettings;
}

/** The policy settings; a policy path must exist, and the directory source needs one. */
export function resolvePolicies(values: Partial<ParsedValues<typeof POLICY_VARIABLES>>, problems: ConfigProblem[]): PolicySourceSettings {
  const policyPath = values.HUBBLE_LENS_POLICIES;
  if (policyPath !== undefined && !existsSync(policyPath)) {
    problems.push({ variable: "HUBBLE_LENS_POLICIES", message: `${quote(policyPath)} does not exist; give a directory or file of policy YAML` });
  }
  if (values.HUBBLE_LENS_POLICY_SOURCE === "directory" && policyPath === undefined) {
    problems.push({ variable: "HUBBLE_LENS_POLICIES", message: "missing: HUBBLE_LENS_POLICY_SOURCE=directory needs the policy directory" });
  }
  return {
    // Read only when the whole configuration is valid: the source has a default.
    source: values.HUBBLE_LENS_POLICY_SOURCE!,
    path: policyPath ?? null,
    settings: values.HUBBLE_LENS_CILIUM_SETTINGS ?? parseDefaultSettings(),
  };
}

function parseDefaultSettings(): ClusterSettings {
  const r = parseSettingAssignments([]);
  if (!r.ok) throw new Error(r.message);
  return r.settings;
}
