/**
 * Did-you-mean suggestions for misspelt keys, step types, functions and ids.
 *
 * @module
 */

/**
 * The optimal-string-alignment Damerau-Levenshtein distance: insertions, deletions,
 * substitutions and transpositions of two adjacent characters each cost 1.
 *
 * @example
 * ```ts
 * import { editDistance } from "./suggest.ts";
 * editDistance("comand", "command"); // 1
 * editDistance("tiemout", "timeout"); // 1
 * ```
 */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, () => new Array<number>(cols).fill(0));
  for (let i = 0; i < rows; i++) d[i][0] = i;
  for (let j = 0; j < cols; j++) d[0][j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[rows - 1][cols - 1];
}

/**
 * The closest candidate to `word`, or undefined when none is close enough.
 *
 * "Close enough" grows with the word: up to a third of its length (at least 1, at most 3),
 * so that `id` does not suggest `if` from nowhere but `comand` finds `command`. Case and
 * `-`/`_` differences count as nothing, so `continue-on-error` finds `continue_on_error`.
 *
 * @example
 * ```ts
 * import { suggest } from "./suggest.ts";
 * suggest("comand", ["command", "shell", "env"]); // "command"
 * suggest("xyz", ["command", "shell"]); // undefined
 * ```
 */
export function suggest(word: string, candidates: Iterable<string>): string | undefined {
  const norm = (s: string) => s.toLowerCase().replaceAll("-", "_");
  const w = norm(word);
  const limit = Math.min(3, Math.max(1, Math.floor(word.length / 3)));
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    if (candidate === word) continue;
    // The distance is at least the difference in length: skip the costly table when too far.
    if (Math.abs(candidate.length - word.length) > limit) continue;
    const distance = norm(candidate) === w ? 0 : editDistance(w, norm(candidate));
    if (distance <= limit && distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/**
 * The hint text for a suggestion: `did you mean "command"?`, or undefined.
 *
 * @example
 * ```ts
 * import { didYouMean } from "./suggest.ts";
 * didYouMean("comand", ["command"]); // 'did you mean "command"?'
 * ```
 */
export function didYouMean(word: string, candidates: Iterable<string>): string | undefined {
  const found = suggest(word, candidates);
  return found === undefined ? undefined : `did you mean "${found}"?`;
}
