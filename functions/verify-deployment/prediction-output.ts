/**
 * How a prediction is read. The manifest's `serving.outputKey` names the field that holds the score (numeric
 * baseline) or the class (categorical baseline); a prediction that is a bare scalar is that value itself.
 */

/** The value drift is measured on: a number for a numeric baseline, a category otherwise; undefined if absent. */
export function outputValue(prediction: unknown, outputKey: string): number | string | boolean | undefined {
  const value =
    typeof prediction === "object" && prediction !== null && !Array.isArray(prediction)
      ? (prediction as Record<string, unknown>)[outputKey]
      : prediction;
  if (typeof value === "number" || typeof value === "string" || typeof value === "boolean") return value;
  return undefined;
}

/** The decision threshold for a bare probability score when the model does not state its own class. */
const scoreThreshold = 0.5;

/**
 * The class a prediction states, normalised for comparison with a golden label, or undefined if it states none.
 * In order: the prediction's own `label` field (the model's decision at its own threshold); Vertex AI's
 * classification form `{classes, scores}` (the highest score wins); the output value itself — a category, or
 * for a numeric score the positive class "1" when score ≥ 0.5 and "0" otherwise.
 */
export function predictedClass(
  prediction: unknown,
  outputKey: string,
  kind: "numeric" | "categorical",
): string | undefined {
  if (typeof prediction === "object" && prediction !== null && !Array.isArray(prediction)) {
    const record = prediction as Record<string, unknown>;
    const label = record.label;
    if (typeof label === "string" || typeof label === "number" || typeof label === "boolean") {
      return classKey(label);
    }
    const fromScores = argmaxClass(record.classes, record.scores);
    if (fromScores !== undefined) return fromScores;
  }
  const value = outputValue(prediction, outputKey);
  if (value === undefined) return undefined;
  if (kind === "numeric" && typeof value === "number") {
    if (Number.isNaN(value)) return undefined;
    return value >= scoreThreshold ? "1" : "0";
  }
  return classKey(value);
}

/** A label as a comparable key: booleans as "1"/"0" so `true` matches a label of 1, everything else as text. */
export function classKey(label: string | number | boolean): string {
  if (typeof label === "boolean") return label ? "1" : "0";
  return String(label);
}

function argmaxClass(classes: unknown, scores: unknown): string | undefined {
  if (!Array.isArray(classes) || !Array.isArray(scores) || classes.length === 0) return undefined;
  if (classes.length !== scores.length) return undefined;
  let best = -1;
  let bestScore = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < scores.length; i++) {
    const score = scores[i];
    if (typeof score === "number" && score > bestScore) {
      best = i;
      bestScore = score;
    }
  }
  const winner = classes[best];
  return typeof winner === "string" || typeof winner === "number" || typeof winner === "boolean"
    ? classKey(winner)
    : undefined;
}
