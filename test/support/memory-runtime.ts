import { BucketClaimStore } from "../../shared/claim-store.js";
import { type Config, loadConfig } from "../../shared/config.js";
import { decodeMessage, encodeMessage, type MessageOf } from "../../shared/contracts.js";
import { BucketLedger } from "../../shared/ledger.js";
import { createLogger } from "../../shared/logger.js";
import type { Publisher } from "../../shared/ports.js";
import type { Runtime } from "../../shared/runtime.js";
import { loadSettings } from "../../shared/settings.js";
import type { TopicName } from "../../shared/topology.js";
import { MemoryBlobStore } from "./memory-blob-store.js";

/** A Publisher that validates like the real one and keeps what was published, per topic. */
export class MemoryPublisher implements Publisher {
  readonly published: Array<{ topic: TopicName; message: unknown; attributes: Record<string, string> }> = [];
  private next = 1;

  async publish<T extends TopicName>(topic: T, message: MessageOf<T>): Promise<string> {
    const { data, attributes } = encodeMessage(topic, message);
    this.published.push({ topic, message: decodeMessage(topic, data), attributes });
    return String(this.next++);
  }

  on<T extends TopicName>(topic: T): MessageOf<T>[] {
    return this.published.filter((p) => p.topic === topic).map((p) => p.message as MessageOf<T>);
  }
}

/** A Runtime whose bucket and topics are in memory, with the committed example configuration. */
export function memoryRuntime(overrides: { config?: Config } = {}): Runtime & {
  blobs: MemoryBlobStore;
  publisher: MemoryPublisher;
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
    publisher: new MemoryPublisher(),
    identity: "test-function@local-project.iam.gserviceaccount.com",
    logLines,
  };
}
