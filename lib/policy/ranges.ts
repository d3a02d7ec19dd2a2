// Where a rule sits in its policy's YAML, for the UI to highlight the deciding rule. Cilium
// rule paths are relative to `spec` ("ingress[0].toPorts[0]") unless they start with
// `specs[n]`; NetworkPolicy paths start with `spec.`.

import { isMap, isSeq, LineCounter, parseAllDocuments, type Node } from "yaml";

/** 1-based, inclusive line range of the node at `rulePath`, or null when it is not there. */
export function ruleLineRange(yamlText: string, rulePath: string): { start: number; end: number } | null {
  if (typeof yamlText !== "string" || typeof rulePath !== "string" || rulePath === "") return null;
  const tokens = pathTokens(rulePath);
  if (!tokens) return null;
  const full = tokens[0] === "spec" || tokens[0] === "specs" ? tokens : ["spec", ...tokens];
  const lc = new LineCounter();
  let docs;
  try {
    docs = parseAllDocuments(yamlText, { lineCounter: lc });
  } catch {
    return null;
  }
  if (!Array.isArray(docs)) return null;
  const doc = docs.find((d) => d.contents !== null);
  if (!doc) return null;
  let node: unknown = doc.contents;
  for (const t of full) {
    if (typeof t === "number") {
      if (!isSeq(node)) return null;
      node = node.items[t];
    } else {
      if (!isMap(node)) return null;
      node = node.get(t, true);
    }
    if (node === undefined || node === null) return null;
  }
  const range = (node as Node).range;
  if (!range) return null;
  const start = lc.linePos(range[0]).line;
  // range[1] is the end of the value (exclusive); step back so a trailing newline is not counted.
  let endOffset = Math.max(range[0], range[1] - 1);
  while (endOffset > range[0] && /\s/.test(yamlText[endOffset] ?? "")) endOffset--;
  const end = lc.linePos(endOffset).line;
  return { start, end: Math.max(start, end) };
}

function pathTokens(path: string): (string | number)[] | null {
  const out: (string | number)[] = [];
  for (const part of path.split(".")) {
    const m = /^([A-Za-z][A-Za-z0-9]*)((?:\[\d+\])*)$/.exec(part);
    if (!m) return null;
    out.push(m[1]!);
    for (const idx of m[2]!.match(/\d+/g) ?? []) out.push(Number(idx));
  }
  return out;
}
