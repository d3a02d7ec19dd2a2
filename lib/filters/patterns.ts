import { FilterBuildError } from "./errors";

/**
 * Hubble's FQDN and node-name wildcard patterns, translated to anchored regular
 * expressions. This is the one place a RegExp is built from user text, and it is
 * safe: only [-0-9_a-z.*] survive validation, "." is escaped and "*" becomes a
 * fixed character class, so no user text reaches the regex syntax.
 *
 *  - A pattern is trimmed, loses one trailing "." and is lower-cased.
 *  - "*" matches [-.0-9a-z]*, so it can span dots: "*.cilium.io" matches "a.b.cilium.io".
 *  - Node patterns are "[cluster/]node"; an empty part matches any FQDN-like name.
 */

const FQDN_LIKE = "(?:[-0-9_a-z]+(?:\\.[-0-9_a-z]+)*)";

function fqdnPatternSource(raw: string): string {
  const pattern = raw.trim().replace(/\.$/, "").toLowerCase();
  if (pattern === "") throw new FilterBuildError("empty pattern");
  if (pattern.endsWith(".")) throw new FilterBuildError("multiple trailing dots in pattern");
  let source = "";
  for (const ch of pattern) {
    if (ch === ".") source += "\\.";
    else if (ch === "*") source += "[-.0-9a-z]*";
    else if (ch === "-" || ch === "_" || (ch >= "0" && ch <= "9") || (ch >= "a" && ch <= "z")) source += ch;
    else throw new FilterBuildError(`'${ch}': invalid rune in pattern`);
  }
  return source;
}

function nodeNamePatternSource(pattern: string): string {
  if (pattern === "") throw new FilterBuildError("empty pattern");
  const parts = pattern.split("/");
  if (parts.length > 2) throw new FilterBuildError("too many slashes in pattern");
  const [cluster, node] = parts.length === 2 ? parts : ["", parts[0]];
  const clusterSource = cluster === "" ? FQDN_LIKE : fqdnPatternSource(cluster);
  const nodeSource = node === "" ? FQDN_LIKE : fqdnPatternSource(node);
  return `${clusterSource}/${nodeSource}`;
}

/** One anchored regex matching any of the FQDN patterns. */
export function compileFQDNPatterns(patterns: readonly string[]): RegExp {
  return new RegExp(`^(?:${patterns.map(fqdnPatternSource).join("|")})$`);
}

/** One anchored regex matching "cluster/node" names against any of the node-name patterns. */
export function compileNodeNamePatterns(patterns: readonly string[]): RegExp {
  return new RegExp(`^(?:${patterns.map(nodeNamePatternSource).join("|")})$`);
}
