import type { Baseline } from "../../shared/manifest.js";
import type { GoldenExample } from "./golden-stream.js";
import { OutputDistribution } from "./output-drift.js";
import { classKey, outputValue, predictedClass } from "./prediction-output.js";

/** Accuracy and output distribution of one deployed model over the golden examples it answered. */
export class ModelMeasure {
  /** Predictions compared with their label. */
  scored = 0;
  correct = 0;
  /** Predictions that state no class or no output value; they are not scored. */
  unreadable = 0;
  readonly outputs: OutputDistribution;

  constructor(
    baseline: Baseline,
    private readonly outputKey: string,
  ) {
    this.outputs = new OutputDistribution(baseline);
  }

  /** Scores one answered batch: `predictions[i]` answers `examples[i]`. */
  observe(examples: readonly GoldenExample[], predictions: readonly unknown[]): void {
    const kind = this.outputs.baseline.kind;
    for (let i = 0; i < examples.length; i++) {
      const prediction = predictions[i];
      const predicted = predictedClass(prediction, this.outputKey, kind);
      const value = outputValue(prediction, this.outputKey);
      if (predicted === undefined || value === undefined) {
        this.unreadable++;
        continue;
      }
      this.scored++;
      if (predicted === classKey((examples[i] as GoldenExample).label)) this.correct++;
      this.outputs.add(value);
    }
  }

  /** correct / scored, or undefined before anything was scored. */
  get accuracy(): number | undefined {
    return this.scored === 0 ? undefined : this.correct / this.scored;
  }
}
