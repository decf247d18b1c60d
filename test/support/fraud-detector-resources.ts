import { Label } from "../../shared/model-ports.js";

/** The labels modelgate puts on fraud-detector's Vertex AI resources for `commit` (repository acme/fraud-detector). */
export function fraudDetectorLabels(commit: string, correlationId: string): Record<string, string> {
  return {
    [Label.model]: "fraud-detector",
    [Label.commit]: commit,
    [Label.repository]: "acme_fraud-detector",
    [Label.correlationId]: correlationId,
    [Label.managedBy]: "modelgate",
  };
}

/** fraud-detector's Vertex AI endpoint in the local project (modelgate.config.yaml). */
export const fraudDetectorEndpoint = "projects/local-project/locations/us-central1/endpoints/fraud-detector";
