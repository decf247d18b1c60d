import type { Manifest } from "../../shared/manifest.js";

/** A valid modelgate.json for a model and commit, as a trainer writes it. */
export function testManifest(fields: { model: string; commit: string; repository: string }): Manifest {
  return {
    schemaVersion: 1,
    ...fields,
    framework: "scikit-learn",
    metrics: { accuracy: 0.93 },
    baseline: { kind: "numeric", binEdges: [0, 0.5, 1], counts: [80, 20] },
    serving: { container: "us-docker.pkg.dev/local-project/modelgate/serving:1", outputKey: "score" },
    artifactDir: "model/",
    created: "2024-06-11T09:50:12.000Z",
  };
}
