import picomatch from "picomatch";

/**
 * picomatch compiles globs to backtracking regular expressions: each `*` is a lazy `[^/]*?`, so a glob with w
 * wildcards costs about n^w steps on a hostile n-character input. Measured (picomatch 4.0.7, this machine):
 * `release/*a*a*a*a*a*a*a*b` took 21.6 s on a 68-character tag; 4 wildcards take 8.7 s on 255 characters, 3 take
 * 2 ms on 255 and 0.2 s on 1024. So a configured glob has at most 3 wildcards, and what it is matched against is
 * bounded in length.
 */
export const GlobBound = {
  /** Wildcards (runs of `*`, extglob groups) in one configured glob. */
  wildcards: 3,
  /** Characters of a configured glob. */
  patternLength: 256,
  /** Characters of a tag or branch name matched against a glob (git refs in practice stay far below). */
  refLength: 255,
  /** Characters of a repository path matched against a glob. */
  pathLength: 1024,
} as const;

/** Why a glob cannot be configured (too long, too many wildcards), or undefined when it is fine. */
export function globProblem(pattern: string): string | undefined {
  if (pattern.length > GlobBound.patternLength) {
    return `a glob of at most ${GlobBound.patternLength} characters (this one has ${pattern.length})`;
  }
  const wildcards = (pattern.match(/\*+|[?*+@!]\(/g) ?? []).length;
  if (wildcards > GlobBound.wildcards) {
    return `a glob with at most ${GlobBound.wildcards} wildcards (this one has ${wildcards}: each one multiplies the matching time)`;
  }
  return undefined;
}

/**
 * A matcher for configured globs (dotfiles included) that answers false for input longer than `maxLength`
 * without running the expression: the length bound is what keeps a match fast, so it is enforced here too.
 */
export function globMatcher(patterns: string | string[], maxLength: number): (input: string) => boolean {
  const matches = picomatch(patterns, { dot: true });
  return (input) => input.length <= maxLength && matches(input);
}
