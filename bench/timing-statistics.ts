// The statistics of the timing benchmarks: a median, and a two-sample Kolmogorov-Smirnov test
// of whether two samples of answer times come from the same distribution.

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Two-sample Kolmogorov-Smirnov statistic D and its asymptotic p-value. */
export function kolmogorovSmirnov(a: number[], b: number[]): { d: number; p: number } {
  const all = [...a, ...b].sort((x, y) => x - y);
  const cdf = (sample: number[], x: number) => sample.filter((value) => value <= x).length / sample.length;
  const d = Math.max(...all.map((x) => Math.abs(cdf(a, x) - cdf(b, x))));
  const n = (a.length * b.length) / (a.length + b.length);
  const lambda = (Math.sqrt(n) + 0.12 + 0.11 / Math.sqrt(n)) * d;
  let p = 0;
  for (let k = 1; k <= 100; k += 1) p += 2 * (-1) ** (k - 1) * Math.exp(-2 * k * k * lambda * lambda);
  return { d, p: Math.min(1, Math.max(0, p)) };
}

export function shuffled<T>(items: T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i -= 1) {
    const j = Math.floor(Math.random() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}
