// A dependency-free bar chart of decode and prefill tokens/s per system, for the README.
type Results = Record<string, { decodeTokPerS: number; prefillTokPerS: number }>;

export function barChart(results: Results): string {
  const names = Object.keys(results);
  const rows = names.flatMap((name) => [
    { label: `${name} decode`, value: results[name]?.decodeTokPerS ?? 0, color: "#3b82f6" },
    { label: `${name} prefill`, value: results[name]?.prefillTokPerS ?? 0, color: "#94a3b8" },
  ]);
  const max = Math.max(...rows.map((r) => r.value), 1);
  const width = 760;
  const bar = 22;
  const left = 360;
  const body = rows
    .map((r, i) => {
      const y = 30 + i * (bar + 8);
      const w = ((width - left - 80) * r.value) / max;
      return `<text x="${left - 8}" y="${y + 15}" text-anchor="end">${r.label}</text><rect x="${left}" y="${y}" width="${w.toFixed(1)}" height="${bar}" fill="${r.color}"/><text x="${left + w + 6}" y="${y + 15}">${r.value} tok/s</text>`;
    })
    .join("\n");
  const height = 40 + rows.length * (bar + 8);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">
<text x="10" y="18" font-weight="bold">Engine throughput (tokens/s, median, greedy)</text>
${body}
</svg>
`;
}
