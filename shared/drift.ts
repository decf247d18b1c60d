/**
 * Drift between a baseline distribution and what a model produces now, measured the way
 * Vertex AI Model Monitoring does: Jensen-Shannon divergence over fixed bins for numeric
 * values, L-infinity distance over normalised frequencies for categorical ones. These must
 * stay fast over a million predictions, hence typed arrays and no per-value allocation.
 */

/**
 * A streaming histogram with fixed bin edges and constant memory. Bins are half-open
 * [e_i, e_{i+1}) except the last, which is closed; values outside the edges clamp into the
 * first or last bin (so every finite observation counts, as a prediction score must).
 * NaN is not a value: it is counted in `missing` and in no bin.
 */
export class NumericHistogram {
  readonly binEdges: Float64Array;
  /** Live counts per bin; read-only by convention, copy before mutating. */
  readonly counts: Float64Array;
  total = 0;
  missing = 0;
  private readonly min: number;
  private readonly max: number;
  private readonly bins: number;
  private readonly inverseWidth: number;

  constructor(binEdges: ArrayLike<number>) {
    if (binEdges.length < 2)
      throw new Error(`a histogram needs at least 2 bin edges, got ${binEdges.length}`);
    for (let i = 0; i < binEdges.length; i++) {
      const edge = binEdges[i] as number;
      if (!Number.isFinite(edge)) throw new Error(`bin edge [${i}] must be finite, got ${edge}`);
      if (i > 0 && !(edge > (binEdges[i - 1] as number))) {
        throw new Error(
          `bin edges must be strictly ascending, but [${i}] = ${edge} follows ${binEdges[i - 1]}`,
        );
      }
    }
    this.binEdges = Float64Array.from(binEdges);
    this.bins = binEdges.length - 1;
    this.counts = new Float64Array(this.bins);
    this.min = this.binEdges[0] as number;
    this.max = this.binEdges[this.bins] as number;
    // The guess below assumes equal widths; a correction step makes it exact for any edges.
    this.inverseWidth = this.bins / (this.max - this.min);
  }

  /** A histogram of `bins` equal-width bins spanning [min, max]. */
  static uniform(min: number, max: number, bins: number): NumericHistogram {
    if (!Number.isInteger(bins) || bins < 1) throw new Error(`bins must be a positive integer, got ${bins}`);
    if (!(max > min)) throw new Error(`max must exceed min, got [${min}, ${max}]`);
    const edges = new Float64Array(bins + 1);
    for (let i = 0; i <= bins; i++) edges[i] = min + ((max - min) * i) / bins;
    edges[bins] = max;
    return new NumericHistogram(edges);
  }

  /** A histogram with a baseline's edges and counts, to keep adding to or to compare against. */
  static fromBaseline(baseline: {
    binEdges: readonly number[];
    counts: readonly number[];
  }): NumericHistogram {
    if (baseline.counts.length !== baseline.binEdges.length - 1) {
      throw new Error(
        `expected ${baseline.binEdges.length - 1} counts for ${baseline.binEdges.length} edges`,
      );
    }
    const histogram = new NumericHistogram(baseline.binEdges);
    for (let i = 0; i < baseline.counts.length; i++) {
      const count = baseline.counts[i] as number;
      histogram.counts[i] = count;
      histogram.total += count;
    }
    return histogram;
  }

  /** The bin a value falls in, after clamping. */
  binOf(value: number): number {
    const last = this.bins - 1;
    if (value <= this.min) return 0;
    if (value >= this.max) return last;
    let index = Math.floor((value - this.min) * this.inverseWidth);
    if (index > last) index = last;
    const edges = this.binEdges;
    // Equal widths: at most one step of rounding error. Other edges: walk there (binary search would
    // win only for hundreds of irregular bins, which a baseline does not have).
    while (index > 0 && value < (edges[index] as number)) index--;
    while (index < last && value >= (edges[index + 1] as number)) index++;
    return index;
  }

  /** Counts one value (clamped into the edge bins; NaN counts as missing). */
  add(value: number): void {
    if (Number.isNaN(value)) {
      this.missing++;
      return;
    }
    const bin = this.binOf(value);
    this.counts[bin] = (this.counts[bin] as number) + 1;
    this.total++;
  }

  /** Counts every value of an array without allocating. */
  addAll(values: ArrayLike<number>): void {
    for (let i = 0; i < values.length; i++) this.add(values[i] as number);
  }

  /** The manifest form of this histogram. */
  toBaseline(): { kind: "numeric"; binEdges: number[]; counts: number[] } {
    return { kind: "numeric", binEdges: Array.from(this.binEdges), counts: Array.from(this.counts) };
  }
}

/** Streaming counts of categorical values (the class a classifier predicts, say). */
export class CategoricalCounts {
  private readonly map = new Map<string, number>();
  total = 0;

  /** Counts one category; numbers and booleans count under their string form, as JSON keys would. */
  add(category: string | number | boolean): void {
    const key = typeof category === "string" ? category : String(category);
    this.map.set(key, (this.map.get(key) ?? 0) + 1);
    this.total++;
  }

  /** Counts every value of an array. */
  addAll(categories: Iterable<string | number | boolean>): void {
    for (const category of categories) this.add(category);
  }

  /** The count of one category (0 if never seen). */
  get(category: string): number {
    return this.map.get(category) ?? 0;
  }

  /** The counts as a plain record, keys sorted so the output is stable. */
  toRecord(): Record<string, number> {
    const record: Record<string, number> = {};
    for (const key of [...this.map.keys()].sort()) record[key] = this.map.get(key) as number;
    return record;
  }

  /** The manifest form of these counts. */
  toBaseline(): { kind: "categorical"; counts: Record<string, number> } {
    return { kind: "categorical", counts: this.toRecord() };
  }
}

function totalOf(counts: ArrayLike<number>, name: string): number {
  let total = 0;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i] as number;
    if (!(c >= 0) || c === Number.POSITIVE_INFINITY)
      throw new Error(`${name}[${i}] must be a finite count ≥ 0, got ${c}`);
    total += c;
  }
  if (total === 0) throw new Error(`${name} is empty: drift needs at least one observation`);
  return total;
}

/** The totals of two distributions over the same bins; an error names different bins or a bad count. */
function totalsOf(p: ArrayLike<number>, q: ArrayLike<number>): [number, number] {
  if (p.length !== q.length)
    throw new Error(`distributions need the same bins, got ${p.length} and ${q.length}`);
  return [totalOf(p, "p"), totalOf(q, "q")];
}

/**
 * Jensen-Shannon divergence of two count vectors over the same bins, normalised to
 * distributions P and Q: ½·KL(P‖M) + ½·KL(Q‖M) with M = ½(P+Q), in bits, so 0 ≤ JS ≤ 1.
 * Bins empty in one distribution are fine: M is positive wherever P or Q is, and 0·log 0 = 0.
 */
export function jensenShannonDivergence(p: ArrayLike<number>, q: ArrayLike<number>): number {
  const [pTotal, qTotal] = totalsOf(p, q);
  let sum = 0;
  for (let i = 0; i < p.length; i++) {
    const pi = (p[i] as number) / pTotal;
    const qi = (q[i] as number) / qTotal;
    const mi = 0.5 * (pi + qi);
    if (pi > 0) sum += pi * Math.log2(pi / mi);
    if (qi > 0) sum += qi * Math.log2(qi / mi);
  }
  const divergence = 0.5 * sum;
  // Rounding can land a hair outside the mathematical range.
  return Math.min(1, Math.max(0, divergence));
}

/**
 * L-infinity distance of two count vectors over the same bins (or categories, in one order), normalised to
 * distributions P and Q: the largest |P_i − Q_i|, so 0 ≤ L∞ ≤ 1.
 */
export function lInfinityDistance(p: ArrayLike<number>, q: ArrayLike<number>): number {
  const [pTotal, qTotal] = totalsOf(p, q);
  let distance = 0;
  for (let i = 0; i < p.length; i++) {
    const difference = Math.abs((p[i] as number) / pTotal - (q[i] as number) / qTotal);
    if (difference > distance) distance = difference;
  }
  return distance;
}
