import type { CloudEvent } from "@google-cloud/functions-framework";
import { describe, expect, it } from "vitest";
import { createArtifactUploadedHandler } from "../../functions/artifact-uploaded/handler.js";
import { manifestPath } from "../../shared/manifest.js";
import { ingressTestDeps } from "../support/ingress-deps.js";
import { ownJson } from "../support/ingress-fixtures.js";
import { testManifest } from "../support/ingress-manifest.js";

// Found by the ingress fuzz test: a finalize event for a real manifest but without a CloudEvent id (or source) made
// artifactUploaded build an artifact-ready whose correlationId / cause were undefined; the publish threw a contract
// ValidationError, i.e. a 5xx on every redelivery. It is refused (acknowledged) instead, and nothing is published.
describe("artifactUploaded: a storage event without an id or a source", () => {
  it.each([["id"], ["source"]])("is refused without a 5xx when %s is missing", async (missing) => {
    const deps = ingressTestDeps();
    const name = manifestPath("fraud-detector", "3f2c1a9");
    const written = await deps.blobs.write(
      name,
      JSON.stringify(
        testManifest({
          model: "fraud-detector",
          commit: "3f2c1a9e8b7d6c5f4a3b2c1d0e9f8a7b6c5d4e3f",
          repository: "acme/fraud-detector",
        }),
      ),
    );
    const event: Record<string, unknown> = {
      specversion: "1.0",
      id: "11473617497342612",
      source: "//storage.googleapis.com/projects/_/buckets/modelgate-artifacts",
      type: "google.cloud.storage.object.v1.finalized",
      subject: `objects/${name}`,
      data: {
        ...ownJson<Record<string, unknown>>("gcs/finalized-manifest.json"),
        name,
        generation: written.written ? written.generation : "1",
      },
    };
    delete event[missing];
    const handler = createArtifactUploadedHandler(deps);
    const outcome = await handler(event as unknown as CloudEvent<unknown>);
    expect(outcome.status).toBe("refused");
    expect(deps.publisher.published).toHaveLength(0);
  });
});
