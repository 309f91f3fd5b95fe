/** Edit distance with adjacent transpositions (optimal string alignment): `statsu` → `status` is 1. */
export function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * The candidate the user most likely meant, or undefined when none is close: within
 * a third of the input's length in edits (at least 1), or the only one it starts.
 */
export function closest(input: string, candidates: readonly string[]): string | undefined {
  const limit = Math.max(1, Math.floor(input.length / 3));
  let best: { name: string; distance: number } | undefined;
  for (const name of candidates) {
    const distance = editDistance(input.toLowerCase(), name.toLowerCase());
    if (distance <= limit && (!best || distance < best.distance)) best = { name, distance };
  }
  if (best) return best.name;
  const started = input.length >= 2 ? candidates.filter((c) => c.startsWith(input)) : [];
  return started.length === 1 ? started[0] : undefined;
}

/** ` (did you mean X?)`, or nothing. */
export const didYouMean = (input: string, candidates: readonly string[], show = (s: string) => s): string => {
  const hit = closest(input, candidates);
  return hit === undefined ? "" : ` (did you mean ${show(hit)}?)`;
};
