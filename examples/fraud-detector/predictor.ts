import { parseTransaction, type Transaction } from "./features.js";
import { compileScorer, MODEL_FILE_NAME, parseModel } from "./model.js";

/** One prediction: the fraud probability and the decision at the model's threshold. */
export interface Prediction {
  score: number;
  label: 0 | 1;
}

/** What the local Vertex AI endpoint calls to serve a deployed model version. */
export interface Predictor {
  /** Scores instances in order; throws naming `instances[i].field` on the first bad instance. */
  predict(instances: unknown[]): Prediction[];
}

/**
 * Loads the model from its artifact directory. `readArtifact` resolves a path relative to the
 * manifest's artifactDir (here "model.json"), so the same code serves from a bucket or a disk.
 */
export async function loadPredictor(
  readArtifact: (relativePath: string) => Promise<Buffer>,
): Promise<Predictor> {
  const model = parseModel(await readArtifact(MODEL_FILE_NAME));
  const score = compileScorer(model);
  const threshold = model.threshold;
  return {
    predict(instances) {
      if (!Array.isArray(instances)) throw new Error("instances: expected an array of transactions");
      // Validate everything first: a request with one bad instance fails whole, as Vertex AI does.
      const transactions = instances.map((instance, i) => parseTransaction(instance, `instances[${i}]`));
      const predictions: Prediction[] = new Array(transactions.length);
      for (let i = 0; i < transactions.length; i++) {
        const s = score(transactions[i] as Transaction);
        predictions[i] = { score: s, label: s >= threshold ? 1 : 0 };
      }
      return predictions;
    },
  };
}
