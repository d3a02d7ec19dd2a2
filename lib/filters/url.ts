/**
 * The path of an HTTP URL the way Go's url.ParseRequestURI computes it, which is
 * what Hubble's http_path filter matches against. Returns null where Go returns an
 * error (such flows never match http_path). Notably, like ParseRequestURI, a "#"
 * is not a fragment separator: it stays in the path.
 */

const HEX = /^[0-9A-Fa-f]$/;
const utf8 = new TextDecoder("utf-8", { fatal: false });

function hasControlByte(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

/** Scheme and remainder per Go's getScheme; null on "missing protocol scheme". */
function splitScheme(raw: string): { scheme: string; rest: string } | null {
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if ((c >= "a" && c <= "z") || (c >= "A" && c <= "Z")) continue;
    if ((c >= "0" && c <= "9") || c === "+" || c === "-" || c === ".") {
      if (i === 0) return { scheme: "", rest: raw };
      continue;
    }
    if (c === ":") {
      if (i === 0) return null;
      return { scheme: raw.slice(0, i), rest: raw.slice(i + 1) };
    }
    return { scheme: "", rest: raw };
  }
  return { scheme: "", rest: raw };
}

function validPercentEscapes(s: string): boolean {
  for (let i = s.indexOf("%"); i !== -1; i = s.indexOf("%", i + 3)) {
    if (i + 2 >= s.length || !HEX.test(s[i + 1]) || !HEX.test(s[i + 2])) return false;
  }
  return true;
}

/** Decodes %XX escapes as UTF-8 bytes; the caller has validated the escapes. */
function unescapePath(s: string): string {
  if (!s.includes("%")) return s;
  const bytes: number[] = [];
  const encoder = new TextEncoder();
  for (let i = 0; i < s.length;) {
    if (s[i] === "%") {
      bytes.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 3;
    } else {
      const cp = s.codePointAt(i)!;
      const ch = String.fromCodePoint(cp);
      for (const b of encoder.encode(ch)) bytes.push(b);
      i += ch.length;
    }
  }
  return utf8.decode(new Uint8Array(bytes));
}

const HOST_PUNCT = new Set("-_.~!$&'()*+,;=:[]<>\"");

function validPort(colonPort: string): boolean {
  if (colonPort === "") return true;
  if (colonPort[0] !== ":") return false;
  for (let i = 1; i < colonPort.length; i++) {
    if (colonPort[i] < "0" || colonPort[i] > "9") return false;
  }
  return true;
}

function validHostChars(host: string): boolean {
  for (let i = 0; i < host.length; i++) {
    const c = host[i];
    const code = host.charCodeAt(i);
    if (c === "%") {
      if (i + 2 >= host.length || !HEX.test(host[i + 1]) || !HEX.test(host[i + 2])) return false;
      // Only non-ASCII bytes may be escaped in a host, and "%25" (an escaped "%").
      if (parseInt(host[i + 1], 16) < 8 && host.slice(i, i + 3) !== "%25") return false;
      i += 2;
      continue;
    }
    if (code >= 0x80) continue;
    if (/[A-Za-z0-9]/.test(c) || HOST_PUNCT.has(c)) continue;
    return false;
  }
  return true;
}

const USERINFO_OK = /^[A-Za-z0-9\-._:~!$&'()*+,;=%@]*$/;

function validAuthority(authority: string): boolean {
  const at = authority.lastIndexOf("@");
  const host = at < 0 ? authority : authority.slice(at + 1);
  if (host.startsWith("[")) {
    const close = host.lastIndexOf("]");
    if (close < 0 || !validPort(host.slice(close + 1))) return false;
  } else {
    const colon = host.lastIndexOf(":");
    if (colon !== -1 && !validPort(host.slice(colon))) return false;
  }
  if (!validHostChars(host)) return false;
  if (at >= 0) {
    const userinfo = authority.slice(0, at);
    if (!USERINFO_OK.test(userinfo) || !validPercentEscapes(userinfo)) return false;
  }
  return true;
}

export function requestURIPath(raw: string): string | null {
  if (raw === "" || hasControlByte(raw)) return null;
  if (raw === "*") return "*";
  const split = splitScheme(raw);
  if (split === null) return null;
  let rest = split.rest;
  const q = rest.indexOf("?");
  if (q !== -1) rest = rest.slice(0, q);
  if (!rest.startsWith("/")) {
    // An absolute URI with a rootless path is opaque: Go succeeds with an empty Path.
    return split.scheme !== "" ? "" : null;
  }
  if (split.scheme !== "" && rest.startsWith("//")) {
    const authorityEnd = rest.indexOf("/", 2);
    const authority = authorityEnd === -1 ? rest.slice(2) : rest.slice(2, authorityEnd);
    if (!validAuthority(authority)) return null;
    rest = authorityEnd === -1 ? "" : rest.slice(authorityEnd);
  }
  if (!validPercentEscapes(rest)) return null;
  return unescapePath(rest);
}
