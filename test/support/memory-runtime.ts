import { BucketClaimStore } from "../../shared/claim-store.js";
import { type Config, loadConfig } from "../../shared/config.js";
import { BucketLedger } from "../../shared/ledger.js";
import { createLogger } from "../../shared/logger.js";
import type { Runtime } from "../../shared/runtime.js";
import { loadSettings } from "../../shared/settings.js";
import { MemoryBlobStore } from "./memory-blob-store.js";
import { RecordingPublisher } from "./recording-publisher.js";

/** A Runtime whose bucket and topics are in memory, with the committed example configuration. */
export function memoryRuntime(overrides: { config?: Config } = {}): Runtime & {
  blobs: MemoryBlobStore;
  publisher: RecordingPublisher;
  logLines: Array<Record<string, unknown>>;
} {
  const blobs = new MemoryBlobStore("modelgate-artifacts");
  const logLines: Array<Record<string, unknown>> = [];
  return {
    config: overrides.config ?? loadConfig({}),
    settings: loadSettings({}),
    logger: createLogger({}, (line) => logLines.push(JSON.parse(line) as Record<string, unknown>)),
    blobs,
    claims: new BucketClaimStore(blobs),
    ledger: new BucketLedger(blobs),
    publisher: new RecordingPublisher(),
    identity: "test-function@local-project.iam.gserviceaccount.com",
    logLines,
  };
}
