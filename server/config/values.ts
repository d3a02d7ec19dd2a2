import "server-only";
import { z } from "zod";
import { parseGoDuration } from "@/lib/time";

// Zod schemas for the kinds of values our environment variables hold. Each one takes the raw
// string (already trimmed, never empty) and either returns the typed value or adds an issue
// whose message says how to fix it. The variable name is prefixed by the caller.

/** Go's strconv.ParseBool spellings (what the hubble CLI accepts), case-insensitive. */
const TRUE_WORDS = new Set(["1", "t", "true"]);
const FALSE_WORDS = new Set(["0", "f", "false"]);

export const booleanValue = z.string().transform((raw, ctx) => {
  const word = raw.toLowerCase();
  if (TRUE_WORDS.has(word)) return true;
  if (FALSE_WORDS.has(word)) return false;
  ctx.addIssue({ code: "custom", message: `must be true or false (got ${quote(raw)})` });
  return z.NEVER;
});

export const durationValue = z.string().transform((raw, ctx) => {
  let ms: number | null;
  try {
    ms = Number(parseGoDuration(raw)) / 1e6;
  } catch {
    ms = null;
  }
  if (ms === null) {
    const hint = /^\d+(\.\d+)?$/.test(raw) ? ` Add a unit, e.g. ${raw}s.` : "";
    ctx.addIssue({
      code: "custom",
      message: `must be a duration such as 5s, 500ms or 1m30s (got ${quote(raw)}).${hint}`,
    });
    return z.NEVER;
  }
  if (ms < 1 || ms > 3_600_000) {
    ctx.addIssue({ code: "custom", message: `must be between 1ms and 1h (got ${quote(raw)})` });
    return z.NEVER;
  }
  return Math.round(ms);
});

export interface HostPort {
  /** As gRPC wants it: `host:port`, IPv6 hosts in brackets. */
  address: string;
  host: string;
  port: number;
  /** The address carried the hubble CLI's `tls://` prefix, which turns TLS on. */
  tlsPrefix: boolean;
}

const TLS_PREFIX = "tls://";

export const hostPortValue = z.string().transform((raw, ctx): HostPort => {
  const tlsPrefix = raw.startsWith(TLS_PREFIX);
  const rest = tlsPrefix ? raw.slice(TLS_PREFIX.length) : raw;
  const match = /^\[([0-9A-Fa-f:.]+)\]:(\d{1,5})$/.exec(rest) ?? /^([A-Za-z0-9._-]+):(\d{1,5})$/.exec(rest);
  const port = match ? Number(match[2]) : NaN;
  if (!match || port < 1 || port > 65535) {
    ctx.addIssue({
      code: "custom",
      message: `must be host:port, e.g. localhost:4245 or hubble-relay.kube-system.svc:80, ` + `optionally prefixed with tls:// (got ${quote(raw)})`,
    });
    return z.NEVER;
  }
  const host = match[1];
  return { address: rest.startsWith("[") ? `[${host}]:${port}` : `${host}:${port}`, host, port, tlsPrefix };
});

export function integerValue(min: number, max: number, example: string) {
  return z.string().transform((raw, ctx) => {
    const value = /^\d+$/.test(raw) ? Number(raw) : NaN;
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      ctx.addIssue({
        code: "custom",
        message: `must be a whole number from ${min} to ${max}, e.g. ${example} (got ${quote(raw)})`,
      });
      return z.NEVER;
    }
    return value;
  });
}

export const portValue = integerValue(1, 65535, "3000");

/** Comma- or whitespace-separated list (hubble-ui splits on commas, the hubble CLI on spaces). */
export const pathListValue = z.string().transform((raw) =>
  raw
    .split(/[\s,]+/)
    .map((p) => p.trim())
    .filter((p) => p.length > 0),
);

export const serverNameValue = z.string().transform((raw, ctx) => {
  if (!/^[A-Za-z0-9*]([A-Za-z0-9.*-]*[A-Za-z0-9])?$/.test(raw) || raw.length > 253) {
    ctx.addIssue({
      code: "custom",
      message: `must be a DNS name such as instance.hubble-relay.cilium.io (got ${quote(raw)})`,
    });
    return z.NEVER;
  }
  return raw;
});

export function quote(raw: string): string {
  const short = raw.length > 80 ? `${raw.slice(0, 77)}...` : raw;
  return JSON.stringify(short);
}

/** A file or directory path, used as given (its file is checked where it is read). */
export const pathValue = z.string();
