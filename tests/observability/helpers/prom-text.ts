// A strict parser for the Prometheus text exposition format (0.0.4): every line must be a HELP, a
// TYPE or a sample; names and labels must be well formed; a family's samples must follow its TYPE
// and stay together; histograms must have cumulative buckets ending in le="+Inf" equal to _count.
// It throws on the first violation, so "parses" means "a Prometheus server would accept it".

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  type: "counter" | "gauge" | "histogram" | "summary" | "untyped";
  help: string;
  samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(["counter", "gauge", "histogram", "summary", "untyped"]);
const SUFFIXES: Record<string, string[]> = {
  counter: ["", "_total"],
  gauge: [""],
  untyped: [""],
  histogram: ["_bucket", "_sum", "_count"],
  summary: ["", "_sum", "_count"],
};

// Values are what Go's strconv.ParseFloat accepts (the spec says so): NaN and Inf in any case.
function parseValue(text: string, line: string): number {
  if (/^nan$/i.test(text)) return Number.NaN;
  const inf = /^([-+]?)inf(inity)?$/i.exec(text);
  if (inf) return inf[1] === "-" ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) throw new Error(`bad value in: ${line}`);
  return Number(text);
}

function parseLabels(text: string, line: string): Record<string, string> {
  const labels: Record<string, string> = {};
  let rest = text;
  while (rest.length > 0) {
    const match = /^([^=]+)="((?:[^"\\\n]|\\["\\n])*)"(,|$)/.exec(rest);
    if (!match?.[1] || !LABEL.test(match[1])) throw new Error(`bad labels in: ${line}`);
    if (match[1] in labels) throw new Error(`duplicate label ${match[1]} in: ${line}`);
    labels[match[1]] = (match[2] ?? "").replace(/\\(["\\n])/g, (_, c) => (c === "n" ? "\n" : c));
    rest = rest.slice(match[0].length);
  }
  return labels;
}

function parseSample(line: string): Sample {
  const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: (-?\d+))?$/.exec(line);
  if (!match?.[1] || match[3] === undefined) throw new Error(`bad sample line: ${line}`);
  return { name: match[1], labels: parseLabels(match[2] ?? "", line), value: parseValue(match[3], line) };
}

function checkHistogram(family: Family) {
  const series = new Map<string, Sample[]>();
  for (const s of family.samples) {
    const { le, ...rest } = s.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    series.set(key, [...(series.get(key) ?? []), s]);
  }
  for (const samples of series.values()) {
    const buckets = samples.filter((s) => s.name.endsWith("_bucket"));
    const count = samples.find((s) => s.name.endsWith("_count"));
    if (!count || !samples.some((s) => s.name.endsWith("_sum")))
      throw new Error(`${family.name}: no _sum/_count`);
    let previous = Number.NEGATIVE_INFINITY;
    let cumulative = 0;
    for (const b of buckets) {
      const le = parseValue(b.labels.le ?? "", `${family.name} le`);
      if (!(le > previous) || b.value < cumulative) throw new Error(`${family.name}: buckets not cumulative`);
      previous = le;
      cumulative = b.value;
    }
    if (previous !== Number.POSITIVE_INFINITY || cumulative !== count.value) {
      throw new Error(`${family.name}: +Inf bucket missing or != _count`);
    }
  }
}

export function parsePrometheusText(text: string): Map<string, Family> {
  if (!text.endsWith("\n")) throw new Error("exposition must end with a newline");
  const families = new Map<string, Family>();
  let current: Family | undefined;
  for (const line of text.slice(0, -1).split("\n")) {
    const meta = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
    if (meta?.[2]) {
      const [, kind, name, rest = ""] = meta;
      if (!NAME.test(name)) throw new Error(`bad metric name: ${line}`);
      let family = families.get(name);
      if (family && family !== current) throw new Error(`family ${name} is split: ${line}`);
      if (!family) {
        family = { name, type: "untyped", help: "", samples: [] };
        families.set(name, family);
      }
      current = family;
      if (kind === "HELP") family.help = rest;
      else if (!TYPES.has(rest) || family.samples.length > 0) throw new Error(`bad TYPE line: ${line}`);
      else family.type = rest as Family["type"];
      continue;
    }
    if (line.startsWith("#") || line === "") continue;
    const sample = parseSample(line);
    const owner = current;
    const fits = owner && SUFFIXES[owner.type]?.some((suffix) => owner.name + suffix === sample.name);
    if (!owner || !fits) throw new Error(`sample outside its family: ${line}`);
    owner.samples.push(sample);
  }
  for (const family of families.values()) if (family.type === "histogram") checkHistogram(family);
  return families;
}

/** Sum of a family's samples named `name` whose labels include `match`. */
export function sumOf(
  families: Map<string, Family>,
  family: string,
  name: string,
  match: Record<string, string> = {},
): number {
  const samples = families.get(family)?.samples ?? [];
  return samples
    .filter((s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v))
    .reduce((total, s) => total + s.value, 0);
}
