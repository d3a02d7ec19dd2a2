// Test-only: where the recorded Hubble captures are (../shared/data/hubble-captures beside the
// repository, or HUBBLE_CAPTURES_DIR), for every test that reads them.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";

export const capturesDir =
  process.env.HUBBLE_CAPTURES_DIR ?? path.resolve(__dirname, "../../../shared/data/hubble-captures");

/** Every capture file, sorted; empty when the folder is missing (tests then fail saying so). */
export function captureFiles(): string[] {
  if (!existsSync(capturesDir)) return [];
  return readdirSync(capturesDir)
    .filter((name) => name.endsWith(".jsonl"))
    .sort()
    .map((name) => path.join(capturesDir, name));
}

/** The non-blank lines of one capture, by file name or path. */
export function captureLines(nameOrPath: string): string[] {
  const file = path.isAbsolute(nameOrPath) ? nameOrPath : path.join(capturesDir, nameOrPath);
  return readFileSync(file, "utf8").split("\n").filter((l) => l.trim() !== "");
}
