// "did you mean ...?": the closest candidate by edit distance, when it is close enough.

/** Levenshtein distance, giving up (returning limit + 1) once it must exceed `limit` */
export function editDistance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const v = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
      cur.push(v);
      if (v < rowMin) rowMin = v;
    }
    if (rowMin > limit) return limit + 1;
    prev = cur;
  }
  return prev[b.length]!;
}

export function closest(name: string, candidates: Iterable<string>): string | undefined {
  const limit = Math.max(1, Math.min(3, Math.ceil(name.length / 3)));
  let best: string | undefined;
  let bestDistance = limit + 1;
  const lower = name.toLowerCase();
  for (const c of candidates) {
    const cl = c.toLowerCase();
    // a prefix of 3+ characters counts as close (batchsize -> batch)
    const prefix = Math.min(cl.length, lower.length) >= 3 && (cl.startsWith(lower) || lower.startsWith(cl));
    const d = cl === lower ? 0 : prefix ? Math.min(limit, editDistance(lower, cl, limit)) : editDistance(lower, cl, limit);
    if (d < bestDistance || (d === bestDistance && best !== undefined && c < best)) {
      best = c;
      bestDistance = d;
    }
  }
  return bestDistance <= limit ? best : undefined;
}

/** " did you mean 'conv2d'?" or "" */
export function didYouMean(name: string, candidates: Iterable<string>): string {
  const c = closest(name, candidates);
  return c !== undefined && c !== name ? `; did you mean '${c}'?` : '';
}
