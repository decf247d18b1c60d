import { BucketClaimStore } from "../../shared/claim-store.js";
import type { Config } from "../../shared/config.js";
import { BucketLedger } from "../../shared/ledger.js";
import { createLogger } from "../../shared/logger.js";
import { ingressTestConfig } from "./ingress-config.js";
import { MemoryBlobStore } from "./memory-blob-store.js";
import { RecordingPublisher } from "./recording-publisher.js";

/**
 * In-memory ports for an ingress handler: the real claim store and ledger over a memory bucket. `keepLogs: false`
 * drops log lines instead of keeping them (for tests that measure the heap).
 */
export function ingressTestDeps(options: { config?: Config; keepLogs?: boolean } = {}) {
  const config = options.config ?? ingressTestConfig();
  const blobs = new MemoryBlobStore(config.bucket);
  const logLines: Array<Record<string, unknown>> = [];
  return {
    config,
    blobs,
    claims: new BucketClaimStore(blobs),
    ledger: new BucketLedger(blobs),
    publisher: new RecordingPublisher(),
    logger: createLogger({}, (line) => {
      if (options.keepLogs !== false) logLines.push(JSON.parse(line) as Record<string, unknown>);
    }),
    identity: "ingress@local-project.iam.gserviceaccount.com",
    now: () => new Date("2024-06-11T10:00:00.000Z"),
    logLines,
    /** Log lines at WARNING, where refusals go. */
    warnings: () => logLines.filter((l) => l.severity === "WARNING"),
  };
}
