import { CategoricalCounts, NumericHistogram } from "../../shared/drift.js";
import { type DriftMetricName, driftMetric } from "../../shared/drift-metrics.js";
import type { Baseline } from "../../shared/manifest.js";

/**
 * The distribution of a model's outputs, collected in constant memory: a histogram over the baseline's own bin
 * edges for a numeric baseline, category counts for a categorical one.
 */
export class OutputDistribution {
  readonly numeric: NumericHistogram | undefined;
  readonly categorical: CategoricalCounts | undefined;
  /** Outputs of the wrong type for the baseline (a string for a numeric one, say); counted nowhere else. */
  mismatched = 0;

  constructor(readonly baseline: Baseline) {
    if (baseline.kind === "numeric") this.numeric = new NumericHistogram(baseline.binEdges);
    else this.categorical = new CategoricalCounts();
  }

  /** Adds one output value. */
  add(value: number | string | boolean): void {
    if (this.numeric) {
      if (typeof value === "number" && !Number.isNaN(value)) this.numeric.add(value);
      else this.mismatched++;
    } else {
      (this.categorical as CategoricalCounts).add(value);
    }
  }

  /** How many outputs are in the distribution. */
  get total(): number {
    return this.numeric ? this.numeric.total : (this.categorical as CategoricalCounts).total;
  }

  /** The observed counts, in the baseline's shape (bins in order, or categories by name). */
  counts(): number[] | Record<string, number> {
    return this.numeric
      ? Array.from(this.numeric.counts)
      : (this.categorical as CategoricalCounts).toRecord();
  }

  /**
   * Drift from the baseline with the named metric (an unknown name throws); undefined when nothing was observed.
   * Vertex AI Model Monitoring pairs Jensen-Shannon with numeric features and L-infinity with categorical ones;
   * every metric is defined on either shape (bins are categories, categories are bins over their union), so the
   * configured one is honoured.
   */
  drift(metricName: DriftMetricName): number | undefined {
    const metric = driftMetric(metricName);
    if (this.total === 0) return undefined;
    const baseline = this.baseline;
    if (baseline.kind === "numeric") {
      return metric.compute(baseline.counts, (this.numeric as NumericHistogram).counts);
    }
    const observed = (this.categorical as CategoricalCounts).toRecord();
    const keys = [...new Set([...Object.keys(baseline.counts), ...Object.keys(observed)])];
    return metric.compute(
      keys.map((k) => baseline.counts[k] ?? 0),
      keys.map((k) => observed[k] ?? 0),
    );
  }
}
