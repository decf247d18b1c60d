import { defineConfig } from "vitest/config";

// `npm run test:conformance`: the local Pub/Sub's behavioural tests and the end-to-end chain against gcloud's
// Pub/Sub emulator instead of our server (docs/pubsub-push.md says what this proves and what the emulator lacks).
export default defineConfig({
  test: {
    include: ["test/integration/local-pubsub-*.test.ts", "test/integration/e2e-chain.test.ts"],
    globalSetup: ["test/conformance/gcloud-pubsub-emulator.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    maxWorkers: 2,
    env: { METADATA_SERVER_DETECTION: "none" },
  },
});
