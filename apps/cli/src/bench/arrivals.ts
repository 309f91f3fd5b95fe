// Request arrival times for open-loop load, as `vllm bench serve` draws them:
// gaps from a gamma distribution with shape = burstiness and mean 1/rate
// (burstiness 1 is a Poisson process). Seeded, so a run can be repeated.

/** mulberry32: small, fast, good enough for load shaping. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function standardNormal(random: () => number): number {
  const u = 1 - random();
  const v = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** Gamma(shape, 1) by Marsaglia–Tsang (with the shape < 1 boost). */
export function gamma(shape: number, random: () => number): number {
  if (shape < 1) return gamma(shape + 1, random) * random() ** (1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = standardNormal(random);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = random();
    if (u < 1 - 0.0331 * x ** 4 || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

/** Offsets (ms from the start) at which `count` requests are sent; rate Infinity sends all at once. */
export function arrivalOffsetsMs(count: number, rate: number, options: { burstiness?: number; seed?: number } = {}): number[] {
  if (rate <= 0) throw new RangeError("request rate must be positive (or Infinity)");
  if (!Number.isFinite(rate)) return Array.from({ length: count }, () => 0);
  const burstiness = options.burstiness ?? 1;
  if (burstiness <= 0) throw new RangeError("burstiness must be positive");
  const random = seededRandom(options.seed ?? 0);
  const scale = 1 / (rate * burstiness);
  const offsets: number[] = [];
  let t = 0;
  for (let i = 0; i < count; i++) {
    offsets.push(t * 1000);
    t += gamma(burstiness, random) * scale;
  }
  return offsets;
}
