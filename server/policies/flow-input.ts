import "server-only";

// One flow as people have it: a line of `hubble observe -o json` (the {"flow": …} envelope), the
// same pretty-printed, or the bare flow object copied from the dashboard. Shared by the CLI and
// POST /api/explain so both accept the same inputs and say the same thing about bad ones.

export class FlowInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "FlowInputError";
  }
}

/** The flow text of a file: a whole JSON document, or exactly one JSON line. */
export function parseFlowText(text: string): unknown {
  const trimmed = text.replace(/^\uFEFF/, "").trim();
  if (trimmed === "") throw new FlowInputError("the flow file is empty; give one flow as `hubble observe -o json` prints it");
  try {
    return JSON.parse(trimmed);
  } catch (whole) {
    const lines = trimmed.split(/\r?\n/).filter((l) => l.trim() !== "");
    if (lines.length > 1 && lines.every(isJsonLine)) {
      throw new FlowInputError(`the flow file holds ${lines.length} flows (one per line); give exactly one, e.g. \`head -n 1\``);
    }
    throw new FlowInputError(`the flow is not JSON: ${(whole as Error).message.slice(0, 200)}`);
  }
}

function isJsonLine(line: string): boolean {
  try {
    JSON.parse(line);
    return true;
  } catch {
    return false;
  }
}

const RFC3339 = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)$/i;

/** Milliseconds of an RFC 3339 time with any fraction (Hubble writes nanoseconds); undefined if it is not one. */
export function rfc3339ToMs(text: unknown): number | undefined {
  if (typeof text !== "string") return undefined;
  const m = RFC3339.exec(text.trim());
  if (!m) return undefined;
  const ms = Date.parse(`${m[1]}${(m[2] ?? "").slice(0, 4)}${m[3]}`);
  return Number.isFinite(ms) ? ms : undefined;
}

/** When the flow happened: its own `time`, else the envelope's; undefined when neither is readable. */
export function flowTimeMs(input: unknown): number | undefined {
  if (typeof input !== "object" || input === null) return undefined;
  const o = input as Record<string, unknown>;
  const inner = typeof o.flow === "object" && o.flow !== null ? (o.flow as Record<string, unknown>) : undefined;
  return rfc3339ToMs(inner?.time) ?? rfc3339ToMs(o.time);
}

/**
 * Why `flow` (a Flow object, unwrapped) is not a flow the explainer can judge, or undefined when
 * it is one: it needs a verdict and both endpoints (an endpoint object or an IP address each).
 * Without them the explainer would judge an empty flow and answer as if it knew something.
 */
export function notAFlowReason(flow: Record<string, unknown>): string | undefined {
  const ip = asObject(flow.IP) ?? asObject(flow.ip);
  const missing: string[] = [];
  const verdict = flow.verdict;
  if (!((typeof verdict === "string" && verdict !== "" && verdict !== "VERDICT_UNKNOWN") || (typeof verdict === "number" && verdict > 0))) missing.push("verdict");
  if (!asObject(flow.source) && !nonEmpty(ip?.source)) missing.push("source (an endpoint or IP.source)");
  if (!asObject(flow.destination) && !nonEmpty(ip?.destination)) missing.push("destination (an endpoint or IP.destination)");
  if (missing.length === 0) return undefined;
  return `this is not a Hubble flow: it has no ${missing.join(", no ")}`;
}

function asObject(v: unknown): Record<string, unknown> | undefined {
  return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

const nonEmpty = (v: unknown): boolean => typeof v === "string" && v !== "";
