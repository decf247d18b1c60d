// The I/O floor of githubWebhook: the same clients (sharedRuntime) making the same Cloud Storage and Pub/Sub calls
// one accepted push makes — claim the delivery, publish training-requested, append the ledger record, complete the
// claim — and nothing else: no signature check, no parsing, no routing, no logging. githubWebhook's cold start and
// throughput next to this show what modelgate's own code costs on top of the client libraries and the round trips.
import { randomUUID } from "node:crypto";
import { http } from "@google-cloud/functions-framework";
import type { TrainingRequested } from "../../shared/contracts.js";
import { Outcome } from "../../shared/ledger.js";
import { sharedRuntime } from "../../shared/runtime.js";
import { FunctionName, Topic } from "../../shared/topology.js";

const commit = "3f2c1a9e8b7d6c5f4a3b2c1d0e9f8a7b6c5d4e3f";

http("ioFloor", async (_req, res) => {
  const runtime = sharedRuntime();
  const delivery = randomUUID();
  const model = Object.keys(runtime.config.models)[0] ?? "";
  const claimed = await runtime.claims.claim(FunctionName.githubWebhook, delivery);
  if (claimed.state === "completed") throw new Error("a fresh delivery id was already claimed");
  const message: TrainingRequested = {
    schemaVersion: 1,
    correlationId: delivery,
    model,
    commit,
    repository: runtime.config.models[model]?.repository ?? "",
    causedBy: [{ source: "https://github.com/bench", id: delivery }],
    createdAt: new Date().toISOString(),
    trigger: "github-push",
    ref: "refs/heads/main",
  };
  const messageId = await runtime.publisher.publish(Topic.trainingRequested, message);
  await runtime.ledger.append({
    model,
    commit,
    step: FunctionName.githubWebhook,
    action: Topic.trainingRequested,
    outcome: Outcome.accepted,
    correlationId: delivery,
    causedBy: message.causedBy,
    details: { messageId },
  });
  await runtime.claims.complete(claimed.claim, { statusCode: 202 });
  res.status(202).json({ status: "accepted" });
});
