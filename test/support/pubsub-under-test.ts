import { setTimeout as sleep } from "node:timers/promises";
import {
  type LocalPubSubServer,
  type PubSubServerOptions,
  startPubSubServer,
} from "../../local/pubsub/index.js";

/**
 * The Pub/Sub server the behavioural tests run against: ours, or — with MODELGATE_CONFORMANCE_PUBSUB=host:port, as
 * `npm run test:conformance` sets it — another one, gcloud's emulator (docs/pubsub-push.md).
 */
export const conformanceHost = process.env.MODELGATE_CONFORMANCE_PUBSUB || undefined;

/** True in the conformance run, against gcloud's emulator. */
export const againstEmulator = conformanceHost !== undefined;

/**
 * Defines tests of what only our server has (faults, idle(), stats()) or gcloud's emulator lacks (delivery counts,
 * dead-lettering): in the regular suite they run; in the conformance run they are not defined at all (a test the
 * other server cannot take is not a skipped test of it).
 */
export function onOurServerOnly(define: () => void): void {
  if (!againstEmulator) define();
}

export interface PubSubUnderTest {
  /** host:port for `apiEndpoint` or PUBSUB_EMULATOR_HOST. */
  address: string;
  /** Our server, when it is the one under test. */
  local: LocalPubSubServer | null;
  /**
   * Waits until `done()` holds. Ours: until no push is pending or in flight. Another server cannot say that, so it
   * polls, then waits a quiet second for any redelivery to show.
   */
  settle(done: () => boolean, what: string): Promise<void>;
  close(): Promise<void>;
}

export async function startPubSubUnderTest(options: PubSubServerOptions = {}): Promise<PubSubUnderTest> {
  if (conformanceHost) {
    return {
      address: conformanceHost,
      local: null,
      async settle(done, what) {
        const deadline = Date.now() + 20_000;
        while (!done()) {
          if (Date.now() > deadline) throw new Error(`${conformanceHost} never got there: ${what}`);
          await sleep(50);
        }
        await sleep(1000);
      },
      close: async () => {},
    };
  }
  const server = await startPubSubServer(options);
  return {
    address: server.address,
    local: server,
    async settle(done, what) {
      await server.idle();
      if (!done()) throw new Error(`the local Pub/Sub went idle before: ${what}`);
    },
    close: () => server.close(),
  };
}
