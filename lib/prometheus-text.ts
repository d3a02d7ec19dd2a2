// A strict reader of the Prometheus text exposition format (version 0.0.4), for the tests of
// `/metrics`: a scrape that Prometheus would reject must fail them, so anything malformed throws
// with the line number. Pure; no dependencies.

export interface MetricSample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface MetricFamily {
  readonly name: string;
  readonly type: "counter" | "gauge" | "histogram" | "summary" | "untyped";
  readonly help: string;
  readonly samples: MetricSample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(["counter", "gauge", "histogram", "summary", "untyped"]);
const SUFFIXES = ["_bucket", "_sum", "_count", "_total", "_created"];

function parseValue(raw: string, where: string): number {
  // Prometheus reads values with Go's ParseFloat: Inf and NaN in any case (prom-client writes "Nan").
  const lower = raw.toLowerCase();
  if (lower === "+inf" || lower === "inf") return Infinity;
  if (lower === "-inf") return -Infinity;
  if (lower === "nan") return NaN;
  const v = Number(raw);
  if (raw === "" || Number.isNaN(v)) throw new Error(`${where}: "${raw}" is not a sample value`);
  return v;
}

function parseLabels(raw: string, where: string): Record<string, string> {
  const labels: Record<string, string> = {};
  let i = 0;
  while (i < raw.length) {
    const eq = raw.indexOf("=", i);
    if (eq < 0) throw new Error(`${where}: label without a value`);
    const name = raw.slice(i, eq).trim();
    if (!LABEL_NAME.test(name)) throw new Error(`${where}: bad label name "${name}"`);
    if (raw[eq + 1] !== '"') throw new Error(`${where}: label ${name} value is not quoted`);
    let j = eq + 2;
    let value = "";
    for (; j < raw.length && raw[j] !== '"'; j++) {
      if (raw[j] === "\\") {
        const next = raw[++j];
        value += next === "n" ? "\n" : next;
      } else value += raw[j];
    }
    if (j >= raw.length) throw new Error(`${where}: unterminated value of label ${name}`);
    if (name in labels) throw new Error(`${where}: label ${name} twice`);
    labels[name] = value;
    i = j + 1;
    if (raw[i] === ",") i++;
    else if (i < raw.length) throw new Error(`${where}: expected , between labels`);
  }
  return labels;
}

/** The families of a scrape, by name. Throws on anything Prometheus would not accept. */
export function parsePrometheusText(text: string): Map<string, MetricFamily> {
  const families = new Map<string, MetricFamily & { samples: MetricSample[] }>();
  const family = (name: string) => {
    let f = families.get(name);
    if (!f) families.set(name, (f = { name, type: "untyped", help: "", samples: [] }));
    return f;
  };
  const lines = text.split("\n");
  lines.forEach((line, index) => {
    const where = `line ${index + 1}`;
    if (line.trim() === "") return;
    if (line.startsWith("#")) {
      const m = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
      if (!m) return; // other comments are allowed
      if (!NAME.test(m[2])) throw new Error(`${where}: bad metric name "${m[2]}"`);
      const f = family(m[2]);
      if (m[1] === "TYPE") {
        if (!TYPES.has(m[3])) throw new Error(`${where}: unknown type "${m[3]}"`);
        (f as { type: string }).type = m[3];
      } else (f as { help: string }).help = m[3];
      return;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)( -?\d+)?$/.exec(line);
    if (!m) throw new Error(`${where}: not a sample: ${line}`);
    const [, name, , rawLabels, rawValue] = m;
    const sample: MetricSample = { name, labels: parseLabels(rawLabels ?? "", where), value: parseValue(rawValue, where) };
    const owner = families.has(name) ? name : SUFFIXES.map((s) => (name.endsWith(s) ? name.slice(0, -s.length) : "")).find((n) => n && families.has(n));
    family(owner ?? name).samples.push(sample);
  });
  return families;
}

/** The value of one sample: `name` with exactly these labels (none: the unlabelled one). */
export function sampleValue(families: Map<string, MetricFamily>, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const f of families.values()) {
    for (const s of f.samples) {
      if (s.name !== name) continue;
      const keys = Object.keys(s.labels);
      if (keys.length === Object.keys(labels).length && keys.every((k) => s.labels[k] === labels[k])) return s.value;
    }
  }
  return undefined;
}
