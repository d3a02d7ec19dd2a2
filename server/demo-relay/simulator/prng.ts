import "server-only";

// Seeded randomness for the simulator. Everything random in a simulated cluster comes from
// one of these generators, so the flow stream is a pure function of (scenario, seed, rate,
// epoch). Never use Math.random or the clock here.

/** sfc32: small, fast, 128-bit state; good enough statistical quality for traffic shapes. */
export class Prng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number, stream = 0) {
    this.a = 0x9e3779b9 ^ (seed | 0);
    this.b = 0x243f6a88 ^ (stream | 0);
    this.c = 0xb7e15162 ^ Math.imul(seed | 0, 0x85ebca6b);
    this.d = 1;
    for (let i = 0; i < 15; i++) this.u32();
  }

  /** Uniform unsigned 32-bit integer. */
  u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.u32() / 4294967296;
  }

  /** Uniform integer in [lo, hi] (inclusive). */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  /** Exponential with the given mean. */
  exp(mean: number): number {
    return -Math.log(1 - this.next()) * mean;
  }

  /** Standard normal (Box-Muller, one value per call). */
  normal(): number {
    const u = 1 - this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)];
  }

  chance(p: number): boolean {
    return this.next() < p;
  }
}

/** Cumulative-weight table for O(log n) weighted picks. */
export class WeightedTable<T> {
  private readonly cumulative: number[] = [];
  private readonly total: number;

  constructor(
    readonly items: readonly T[],
    weights: readonly number[],
  ) {
    let sum = 0;
    for (const w of weights) {
      sum += w;
      this.cumulative.push(sum);
    }
    this.total = sum;
  }

  pick(rng: Prng): T {
    const x = rng.next() * this.total;
    let lo = 0;
    let hi = this.cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.cumulative[mid] > x) hi = mid;
      else lo = mid + 1;
    }
    return this.items[lo];
  }
}

/** Log-normal sampler parameterised by median and 99th percentile (both > 0). */
export function lognormalFrom(median: number, p99: number): (rng: Prng) => number {
  const mu = Math.log(median);
  const sigma = Math.max(0, (Math.log(Math.max(p99, median)) - mu) / 2.326);
  return (rng) => Math.exp(mu + sigma * rng.normal());
}

const HEX: string[] = [];
for (let i = 0; i < 256; i++) HEX.push(i.toString(16).padStart(2, "0"));

function hex32(x: number): string {
  return HEX[(x >>> 24) & 255] + HEX[(x >>> 16) & 255] + HEX[(x >>> 8) & 255] + HEX[x & 255];
}

/** RFC 4122 version-4 UUID drawn from the generator. */
export function uuidV4(rng: Prng): string {
  const a = rng.u32();
  const b = (rng.u32() & 0xffff0fff) | 0x00004000;
  const c = ((rng.u32() & 0x3fffffff) | 0x80000000) >>> 0;
  const d = rng.u32();
  const bh = hex32(b >>> 0);
  const ch = hex32(c);
  return `${hex32(a)}-${bh.slice(0, 4)}-${bh.slice(4)}-${ch.slice(0, 4)}-${ch.slice(4)}${hex32(d)}`;
}

/**
 * A flow uuid: drawn from the traffic's generator (so the traffic itself stays the same whatever
 * `salt` is), mixed with `salt`, a generator seeded per run. A demo relay restarted with the same
 * seed then sends the same flows under new uuids, as a real cluster never repeats a uuid.
 */
export function saltedUuidV4(rng: Prng, salt: Prng): string {
  const a = (rng.u32() ^ salt.u32()) >>> 0;
  const b = ((rng.u32() ^ salt.u32()) & 0xffff0fff) | 0x00004000;
  const c = (((rng.u32() ^ salt.u32()) & 0x3fffffff) | 0x80000000) >>> 0;
  const d = (rng.u32() ^ salt.u32()) >>> 0;
  const bh = hex32(b >>> 0);
  const ch = hex32(c);
  return `${hex32(a)}-${bh.slice(0, 4)}-${bh.slice(4)}-${ch.slice(0, 4)}-${ch.slice(4)}${hex32(d)}`;
}

/** FNV-1a 32-bit hash, for stable names, MACs and ids derived from scenario strings. */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Deterministic UUID-shaped string from a name (used for policy uids). */
export function stableUuid(name: string): string {
  const rng = new Prng(fnv1a(name), fnv1a(`uid:${name}`));
  return uuidV4(rng);
}
