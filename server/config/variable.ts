import "server-only";
import type { z } from "zod";

// The shape of one configuration variable. Each concern's file (relay.ts, auth.ts, …) lists its
// variables with it; variables.ts joins them into the one list.

/** One row of the configuration reference. `VARIABLES` (variables.ts) is the only list of variables. */
export interface VariableSpec<S extends z.ZodType> {
  /** Other names accepted for the same setting (the hubble CLI's, where ours differs). */
  aliases?: readonly string[];
  /** Raw default, parsed like a user value. Absent: the setting is off or unset. */
  default?: string;
  /** What the README shows when there is no raw default. */
  defaultText?: string;
  description: string;
  schema: S;
}

export function variable<S extends z.ZodType>(spec: VariableSpec<S>): VariableSpec<S> {
  return spec;
}

/** The parsed values of a group of variables, by name. */
export type ParsedValues<V extends Record<string, VariableSpec<z.ZodType>>> = { [K in keyof V]: z.output<V[K]["schema"]> };

/** The environment as read (process.env, or a test's). */
export type Env = Record<string, string | undefined>;
