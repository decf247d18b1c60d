import { describe, expect, it } from "vitest";
import { verifyDeployment } from "../../functions/verify-deployment/verify-deployment.js";
import { loadConfig } from "../../shared/config.js";
import { manifestPath } from "../../shared/manifest.js";
import { addToRegistryIndex } from "../../shared/registry-index.js";
import { Topic } from "../../shared/topology.js";
import { deployedModelId } from "../../shared/vertex/deployed-model-id.js";
import type { ServedPredictions, ServingPredictor } from "../../shared/vertex/prediction-adapter.js";
import { MemoryBlobStore } from "../support/memory-blob-store.js";
import { RecordingPublisher } from "../support/recording-publisher.js";
import { fixedWorkDeps, verifyDeploymentReady, verifyManifestFor } from "../support/verify-fixtures.js";

// Issue #18 item 4: a verification's fixed work (manifest, golden-set stream, serving version, report, publish)
// ran one step after another. What is independent now overlaps; what the chain relies on stays ordered: the
// report exists before verification-completed (rolloutModel links it) is published.

const model = "fraud-detector";
const candidate = "c0ffee0000000000000000000000000000000001";
const serving = "5e7e000000000000000000000000000000000002";
const golden = "golden/fixed-work.jsonl";
const roundTripMs = 15;
// The id the deploy step gives the serving commit, which the registry index resolves without Vertex AI.
const servingId = deployedModelId(model, serving);

/** A bucket whose every call takes a round trip, logging when each starts and ends. */
class TimedBlobStore extends MemoryBlobStore {
  constructor(readonly log: string[]) {
    super("modelgate-artifacts");
  }
  private async trip<T>(what: string, call: () => Promise<T>): Promise<T> {
    this.log.push(`start ${what}`);
    await new Promise((resolve) => setTimeout(resolve, roundTripMs));
    const result = await call();
    this.log.push(`end ${what}`);
    return result;
  }
  override read(name: string) {
    return this.trip(`read ${name}`, () => super.read(name));
  }
  override write(name: string, data: Buffer | string, options?: { ifGenerationMatch?: string }) {
    return this.trip(`write ${name}`, () => super.write(name, data, options));
  }
  override async *readStream(name: string): AsyncIterable<Buffer> {
    this.log.push(`open ${name}`);
    await new Promise((resolve) => setTimeout(resolve, roundTripMs));
    yield* super.readStream(name);
  }
}

const message = verifyDeploymentReady(model, candidate, {
  deployedModelId: "candidate-id",
  canaryPercent: 100,
  previousId: servingId,
});

async function verifyLogged() {
  const log: string[] = [];
  const blobs = new TimedBlobStore(log);
  await blobs.write(manifestPath(model, candidate), JSON.stringify(verifyManifestFor(model, candidate, 0.9)));
  await blobs.write(manifestPath(model, serving), JSON.stringify(verifyManifestFor(model, serving, 0.9)));
  await addToRegistryIndex(blobs, model, {
    commit: serving,
    versionId: "1",
    modelResource: message.modelResource,
    registeredAt: "2026-01-01T00:00:00Z",
  });
  const rows = Array.from({ length: 400 }, (_, i) => ({ instance: { x: i / 400 }, label: i >= 200 ? 1 : 0 }));
  await blobs.write(golden, rows.map((row) => JSON.stringify(row)).join("\n"));
  log.length = 0;

  const predictor: ServingPredictor = {
    predict: async (_endpoint, instances): Promise<ServedPredictions> => {
      log.push("predict");
      await new Promise((resolve) => setTimeout(resolve, roundTripMs));
      return {
        deployedModelId: "candidate-id",
        predictions: instances.map((instance) => ({ score: (instance as { x: number }).x })),
      };
    },
  };
  const publisher = new RecordingPublisher();
  const publish = publisher.publish.bind(publisher);
  publisher.publish = async (topic, body) => {
    log.push(`publish ${topic}`);
    return publish(topic, body);
  };
  const settings = loadConfig({}).models[model]?.verification;
  if (!settings) throw new Error(`modelgate.config.yaml has no ${model}`);
  const outcome = await verifyDeployment(
    message,
    { ...settings, goldenSet: golden, batchSize: 100, concurrency: 1 },
    fixedWorkDeps({ blobs, publisher, predictor }, { source: "test", id: "t-1" }),
  );
  return { log, outcome, publisher };
}

const at = (log: string[], entry: string) => {
  const index = log.indexOf(entry);
  expect(index, `${entry} in ${log.join(" | ")}`).toBeGreaterThanOrEqual(0);
  return index;
};

describe("verification's fixed work", () => {
  it("opens the golden set's stream while the candidate's manifest is being read", async () => {
    const { log } = await verifyLogged();
    expect(at(log, `open ${golden}`)).toBeLessThan(at(log, `end read ${manifestPath(model, candidate)}`));
  });

  it("publishes verification-completed only once both report objects are written", async () => {
    const { log, outcome, publisher } = await verifyLogged();
    const published = at(log, `publish ${Topic.verificationCompleted}`);
    const reports = log.filter((entry) => entry.startsWith("end write reports/"));
    expect(reports).toHaveLength(2);
    for (const written of reports) expect(at(log, written)).toBeLessThan(published);
    expect(publisher.on(Topic.verificationCompleted)[0]?.reportUri).toBe(outcome.reportUri);
  });
});
