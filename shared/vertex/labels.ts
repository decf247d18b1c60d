import { Label } from "../model-ports.js";

/** Vertex AI label values: at most 63 lowercase letters, digits, '_' or '-' (international letters aside). */
const maxLabelLength = 63;

/** A value made fit for a Vertex AI label: lowercased, other characters as '_', cut to 63 characters. */
export function labelValue(value: string): string {
  return value
    .toLowerCase()
    .replace(/[^a-z0-9_-]/g, "_")
    .slice(0, maxLabelLength);
}

/**
 * The labels modelgate puts on what it creates in Vertex AI for one model and commit: where it came from (model,
 * commit, repository), which request (correlation id), and that modelgate manages it. Model names and commit SHAs
 * are valid label values already; the repository's '/' and capitals and free-form correlation ids are mapped.
 */
export function provenanceLabels(source: {
  model: string;
  commit: string;
  repository: string;
  correlationId: string;
}): Record<string, string> {
  return {
    [Label.model]: labelValue(source.model),
    [Label.commit]: labelValue(source.commit),
    [Label.repository]: labelValue(source.repository),
    [Label.correlationId]: labelValue(source.correlationId),
    [Label.managedBy]: "modelgate",
  };
}
