/**
 * A small IPv4/IPv6 address and prefix parser with the acceptance rules of Go's
 * net/netip (ParseAddr / ParsePrefix), which Hubble uses for ip filters:
 *  - IPv4 is strict dotted-quad, no leading zeros ("01.2.3.4" is rejected);
 *  - IPv6 allows one "::", an embedded IPv4 tail and a "%zone" (addresses only);
 *  - prefix bits are decimal without sign or leading zeros, within the family;
 *  - an IPv4-mapped IPv6 address is IPv6: it is never inside an IPv4 prefix.
 *
 * Matching parses the flow's address into module-level scratch buffers, so
 * checking a prefix allocates nothing.
 */

export type Family = 4 | 6;

/** A parsed prefix, address bits already masked. words[0] holds IPv4. */
export interface Prefix {
  readonly family: Family;
  readonly bits: number;
  readonly words: Uint32Array;
  readonly masks: Uint32Array;
}

const NONE = 0;
const V4 = 4;
const V6 = 6;

const scratchBytes = new Uint8Array(16);
const scratchWords = new Uint32Array(4);
let scratchZone = false;

/** Parses `s` like netip.ParseAddr; on success the value is in scratchWords. */
function parseInto(s: string): typeof NONE | typeof V4 | typeof V6 {
  scratchZone = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x2e /* . */) return parseV4(s, 0, s.length) ? V4 : NONE;
    if (c === 0x3a /* : */) return parseV6(s) ? V6 : NONE;
    if (c === 0x25 /* % */) return NONE;
  }
  return NONE;
}

function parseV4(s: string, start: number, end: number): boolean {
  let val = 0;
  let digits = 0;
  let fields = 0;
  let acc = 0;
  if (start >= end) return false;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x30 && c <= 0x39) {
      if (digits === 1 && val === 0) return false;
      val = val * 10 + (c - 0x30);
      digits++;
      if (val > 255) return false;
    } else if (c === 0x2e) {
      if (i === start || i === end - 1 || s.charCodeAt(i - 1) === 0x2e) return false;
      if (fields === 3) return false;
      acc = acc * 256 + val;
      fields++;
      val = 0;
      digits = 0;
    } else {
      return false;
    }
  }
  if (fields < 3) return false;
  scratchWords[0] = acc * 256 + val;
  return true;
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  return -1;
}

function parseV6(input: string): boolean {
  let end = input.length;
  const zoneAt = input.indexOf("%");
  if (zoneAt !== -1) {
    if (zoneAt === input.length - 1) return false;
    end = zoneAt;
    scratchZone = true;
  }
  const ip = scratchBytes;
  ip.fill(0);
  let pos = 0;
  let ellipsis = -1;
  let i = 0;
  if (end - pos >= 2 && input.charCodeAt(0) === 0x3a && input.charCodeAt(1) === 0x3a) {
    ellipsis = 0;
    pos = 2;
    if (pos === end) return packV6();
  }
  while (i < 16) {
    let off = 0;
    let acc = 0;
    for (; pos + off < end; off++) {
      const h = hexValue(input.charCodeAt(pos + off));
      if (h < 0) break;
      acc = acc * 16 + h;
      if (off > 3) return false;
    }
    if (off === 0) return false;
    if (pos + off < end && input.charCodeAt(pos + off) === 0x2e) {
      if (ellipsis < 0 && i !== 12) return false;
      if (i + 4 > 16) return false;
      if (!parseV4(input, pos, end)) return false;
      const v4 = scratchWords[0];
      ip[i] = v4 >>> 24;
      ip[i + 1] = (v4 >>> 16) & 0xff;
      ip[i + 2] = (v4 >>> 8) & 0xff;
      ip[i + 3] = v4 & 0xff;
      i += 4;
      pos = end;
      break;
    }
    ip[i] = acc >> 8;
    ip[i + 1] = acc & 0xff;
    i += 2;
    pos += off;
    if (pos === end) break;
    if (input.charCodeAt(pos) !== 0x3a) return false;
    if (pos + 1 === end) return false;
    pos++;
    if (input.charCodeAt(pos) === 0x3a) {
      if (ellipsis >= 0) return false;
      ellipsis = i;
      pos++;
      if (pos === end) break;
    }
  }
  if (pos !== end) return false;
  if (i < 16) {
    if (ellipsis < 0) return false;
    const n = 16 - i;
    for (let j = i - 1; j >= ellipsis; j--) ip[j + n] = ip[j];
    ip.fill(0, ellipsis, ellipsis + n);
  } else if (ellipsis >= 0) {
    return false;
  }
  return packV6();
}

function packV6(): true {
  const b = scratchBytes;
  for (let w = 0; w < 4; w++) {
    scratchWords[w] = ((b[w * 4] << 24) | (b[w * 4 + 1] << 16) | (b[w * 4 + 2] << 8) | b[w * 4 + 3]) >>> 0;
  }
  return true;
}

/** True if `s` is an address netip.ParseAddr accepts (zones included). */
export function isValidAddr(s: string): boolean {
  return parseInto(s) !== NONE;
}

/** Parses "addr/bits" like netip.ParsePrefix; null when Go would reject it. */
export function parsePrefix(s: string): Prefix | null {
  const slash = s.lastIndexOf("/");
  if (slash < 0) return null;
  const family = parseInto(s.slice(0, slash));
  if (family === NONE || scratchZone) return null;
  const bitsStr = s.slice(slash + 1);
  if (!/^(0|[1-9][0-9]*)$/.test(bitsStr) || bitsStr.length > 3) return null;
  const bits = Number(bitsStr);
  const max = family === V4 ? 32 : 128;
  if (bits > max) return null;
  const words = new Uint32Array(4);
  const masks = new Uint32Array(4);
  const wordCount = family === V4 ? 1 : 4;
  for (let w = 0; w < wordCount; w++) {
    const covered = Math.min(32, Math.max(0, bits - w * 32));
    masks[w] = covered === 0 ? 0 : (0xffffffff << (32 - covered)) >>> 0;
    words[w] = (scratchWords[w] & masks[w]) >>> 0;
  }
  return { family, bits, words, masks };
}

/** Whether `prefix` contains the address text `addr` (netip.Prefix.Contains). */
export function prefixContains(prefix: Prefix, addr: string): boolean {
  const family = parseInto(addr);
  if (family !== prefix.family || scratchZone) return false;
  const n = family === V4 ? 1 : 4;
  for (let w = 0; w < n; w++) {
    if ((scratchWords[w] & prefix.masks[w]) >>> 0 !== prefix.words[w]) return false;
  }
  return true;
}

/** Whether every address of `inner` lies in `outer` (same family, outer.bits <= inner.bits). */
export function prefixCovers(outer: Prefix, inner: Prefix): boolean {
  if (outer.family !== inner.family || outer.bits > inner.bits) return false;
  const n = outer.family === V4 ? 1 : 4;
  for (let w = 0; w < n; w++) {
    if ((inner.words[w] & outer.masks[w]) >>> 0 !== outer.words[w]) return false;
  }
  return true;
}
