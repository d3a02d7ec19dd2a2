// Prints the configuration reference table (the README's "Configuration" section) from the one
// list of variables in server/config/variables.ts. `--write` updates both READMEs in place.
import { readFileSync, writeFileSync } from "node:fs";
import { renderConfigReference } from "@/server/config/env";

const table = renderConfigReference();
if (process.argv.includes("--write")) {
  for (const [path, start, end] of [
    ["README.md", "<!-- config-table:start -->\n", "<!-- config-table:end -->"],
    ["server/config/README.md", "<!-- config-reference:start -->\n", "<!-- config-reference:end -->"],
  ]) {
    const text = readFileSync(path, "utf8");
    const i = text.indexOf(start) + start.length;
    writeFileSync(path, text.slice(0, i) + table + text.slice(text.indexOf(end)));
  }
} else {
  process.stdout.write(table);
}
