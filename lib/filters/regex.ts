import { RE2JS } from "re2js";
import { FilterBuildError } from "./errors";

/**
 * User regexes (dns_query, http_path, http_url) are compiled with re2js, a port of
 * RE2: the same syntax and errors as Go's regexp, linear-time matching, no
 * backtracking. Matching is unanchored, like Go's MatchString.
 */
export function compileRE2(pattern: string, describe: (message: string) => string): RE2JS {
  try {
    return RE2JS.compile(pattern);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new FilterBuildError(describe(message));
  }
}
