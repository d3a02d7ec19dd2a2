// Test-only: where the recorded Hubble captures are (../shared/data/hubble-captures beside the
// repository, or HUBBLE_CAPTURES_DIR), for every test that reads them.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";

export const capturesDir = process.env.HUBBLE_CAPTURES_DIR ?? path.resolve(__dirname, "../../../shared/data/hubble-captures");

// One rule for every test that reads them: missing captures are a failure that says where they were
// looked for, never a skip or an empty loop that passes.

function missing(what: string): Error {
  return new Error(
    `${what}: the recorded Hubble captures are missing. They come with the shared folder next to the ` +
      `repository (../shared/data/hubble-captures); set HUBBLE_CAPTURES_DIR to use another folder.`,
  );
}

/** Every capture file, sorted; throws when the folder is missing or holds no capture. */
export function captureFiles(): string[] {
  if (!existsSync(capturesDir)) throw missing(`no folder ${capturesDir}`);
  const files = readdirSync(capturesDir)
    .filter((name) => name.endsWith(".jsonl"))
    .sort()
    .map((name) => path.join(capturesDir, name));
  if (files.length === 0) throw missing(`no *.jsonl in ${capturesDir}`);
  return files;
}

/** The non-blank lines of one capture, by file name or path; throws when it is missing. */
export function captureLines(nameOrPath: string): string[] {
  const file = path.isAbsolute(nameOrPath) ? nameOrPath : path.join(capturesDir, nameOrPath);
  if (!existsSync(file)) throw missing(`no capture ${file}`);
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "");
}
