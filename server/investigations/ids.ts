import "server-only";
import { randomBytes } from "node:crypto";

// Investigation ids are the only access control a shared link has, so they carry 128 random bits
// (unguessable, never sequential) in a URL-safe form.

const ID_PATTERN = /^[A-Za-z0-9_-]{22}$/;

export function newInvestigationId(): string {
  return randomBytes(16).toString("base64url");
}

/** True for anything `newInvestigationId` can return; lookups skip the database for the rest. */
export function isInvestigationId(value: unknown): value is string {
  // 22 base64url chars hold 132 bits; the last char of a 16-byte id only uses its top 2 bits.
  return typeof value === "string" && ID_PATTERN.test(value) && "AQgw".includes(value[21]);
}
