// "did you mean --style-weight?" for a mistyped flag.

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length];
}

/** The known flag closest to `typed` (a typo of up to 2 edits, or an unambiguous prefix), if any. */
export function closestFlag(typed: string, known: readonly string[]): string | undefined {
  const name = typed.split('=')[0].toLowerCase().replace(/_/g, '-');
  const prefixed = known.filter((k) => k.startsWith(name));
  if (name.length >= 3 && prefixed.length === 1) return prefixed[0];
  let best: string | undefined;
  let bestDistance = Math.min(2, Math.floor(name.length / 3));
  for (const k of known) {
    const d = editDistance(name, k);
    if (d <= bestDistance && (best === undefined || d < bestDistance)) {
      best = k;
      bestDistance = d;
    }
  }
  return best;
}
