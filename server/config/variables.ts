import "server-only";
import type { z } from "zod";
import { AUTH_VARIABLES } from "./auth";
import { LIMIT_VARIABLES } from "./limits";
import { POLICY_VARIABLES } from "./policies";
import { DEMO_VARIABLES, RELAY_VARIABLES } from "./relay";
import { INVESTIGATION_VARIABLES, STORAGE_VARIABLES } from "./storage";
import type { ParsedValues, VariableSpec } from "./variable";
import { PROCESS_VARIABLES, WEB_VARIABLES } from "./web";

// The one list of variables, in the order of the reference, and the reference drawn from it.

export const VARIABLES = {
  ...RELAY_VARIABLES,
  ...DEMO_VARIABLES,
  ...POLICY_VARIABLES,
  ...STORAGE_VARIABLES,
  ...WEB_VARIABLES,
  ...INVESTIGATION_VARIABLES,
  ...LIMIT_VARIABLES,
  ...AUTH_VARIABLES,
  ...PROCESS_VARIABLES,
} as const;

export type VariableName = keyof typeof VARIABLES;
export type Parsed = ParsedValues<typeof VARIABLES>;

export interface ConfigReferenceRow {
  name: string;
  aliases: readonly string[];
  default: string;
  description: string;
}

/** The configuration reference (for the README and `--help`), straight from `VARIABLES`. */
export function describeConfig(): ConfigReferenceRow[] {
  return (Object.keys(VARIABLES) as VariableName[]).map((name) => {
    const spec: VariableSpec<z.ZodType> = VARIABLES[name];
    return {
      name,
      aliases: spec.aliases ?? [],
      default: spec.default ?? spec.defaultText ?? "",
      description: spec.description,
    };
  });
}

/** The reference as a Markdown table (server/config/README.md holds a copy a test keeps in sync). */
export function renderConfigReference(): string {
  const lines = ["| Variable | Default | Description |", "|---|---|---|"];
  for (const row of describeConfig()) {
    const name = [row.name, ...row.aliases].map((n) => `\`${n}\``).join(" or ");
    const value = VARIABLES[row.name as VariableName].default !== undefined ? `\`${row.default}\`` : row.default;
    lines.push(`| ${name} | ${value} | ${row.description.replace(/\|/g, "\\|")} |`);
  }
  return lines.join("\n") + "\n";
}
