/** A small seeded random source (mulberry32) so a chaos run is replayed exactly from its printed seed. */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** An integer in [min, max], inclusive. */
  int(min: number, max: number): number;
  /** True with probability `p`. */
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
  hex(length: number): string;
  /** An independent stream derived from this one (so one consumer's draws do not shift another's). */
  fork(label: string): Rng;
}

export function createRng(seed: number): Rng {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const rng: Rng = {
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    chance: (p) => next() < p,
    pick: <T>(items: readonly T[]) => items[Math.floor(next() * items.length)] as T,
    hex: (length) => Array.from({ length }, () => Math.floor(next() * 16).toString(16)).join(""),
    fork: (label) => {
      let h = seed >>> 0;
      for (const c of label) h = Math.imul(h ^ c.charCodeAt(0), 0x9e3779b1) >>> 0;
      return createRng(h ^ Math.floor(next() * 2 ** 32));
    },
  };
  return rng;
}
