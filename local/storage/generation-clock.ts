/**
 * Hands out object generations: microsecond timestamps like Cloud Storage's, but strictly
 * increasing even when two writes land in the same microsecond or the wall clock steps back.
 */
export class GenerationClock {
  #last: bigint;

  constructor(floor = 0n) {
    this.#last = floor;
  }

  /** Never hand out anything at or below `generation` (e.g. one loaded from disk). */
  observe(generation: bigint): void {
    if (generation > this.#last) this.#last = generation;
  }

  /** The next generation, as a bigint of microseconds since the epoch. */
  next(): bigint {
    const now = BigInt(Date.now()) * 1000n;
    this.#last = now > this.#last ? now : this.#last + 1n;
    return this.#last;
  }
}

/** RFC 3339 with milliseconds, as the resource's `timeCreated`/`updated`. */
export function isoFromMicros(micros: bigint): string {
  return new Date(Number(micros / 1000n)).toISOString();
}

/** RFC 3339 with microseconds, as Eventarc's `ce-time`. */
export function isoMicrosFromMicros(micros: bigint): string {
  const ms = isoFromMicros(micros);
  const sub = String(micros % 1_000_000n).padStart(6, "0");
  return `${ms.slice(0, 19)}.${sub}Z`;
}
