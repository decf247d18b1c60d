import { randomUUID } from "node:crypto";
import { findModelConfig } from "../../shared/config.js";
import { parseMessage, type TrainingRequested } from "../../shared/contracts.js";
import { Outcome } from "../../shared/ledger.js";
import { CliAction } from "../../shared/ledger-actions.js";
import { Topic } from "../../shared/topology.js";
import { cliContext, publishOne } from "../cli-runtime.js";
import type { Command } from "../command.js";
import { UsageError } from "../command.js";

/** The ledger action that records an explicit retrain; its count numbers the next attempt. */

const fullSha = /^[0-9a-f]{40}$/;

export const retrain: Command = {
  path: ["retrain"],
  summary: "train a commit again (after its training failed); who asked is recorded in the ledger",
  usage:
    "usage: modelgate retrain MODEL --commit SHA [--as NAME] [--reason TEXT]\n\n" +
    "  SHA: the full 40-digit commit (git rev-parse <ref>)\n" +
    "  NAME: who asks, recorded in the ledger (default: $USER)\n\n" +
    "  launchTraining handles each commit once; a retrain carries an attempt number that makes it a new request.\n" +
    "  A job of the commit that is still running is waited for, not duplicated.",
  options: { commit: { type: "string" }, as: { type: "string" }, reason: { type: "string" } },
  async run({ values, positionals }, io) {
    const model = positionals[0];
    if (!model || positionals.length > 1) throw new UsageError(`name one model\n\n${this.usage}`);
    const commit = typeof values.commit === "string" ? values.commit : "";
    if (!fullSha.test(commit)) {
      throw new UsageError(
        `--commit must be the full 40-digit lowercase SHA (got "${commit.slice(0, 64)}")\n\n${this.usage}`,
      );
    }
    const requestedBy = (typeof values.as === "string" ? values.as : (io.env.USER ?? "")).trim();
    if (!requestedBy) throw new UsageError(`say who asks: --as NAME (no $USER either)\n\n${this.usage}`);
    const reason = typeof values.reason === "string" ? values.reason : undefined;

    const context = cliContext(io.env);
    const modelConfig = findModelConfig(context.config, model);
    if (!modelConfig) {
      io.err(
        `model "${model}" is not configured (models: ${Object.keys(context.config.models).join(", ")})\n`,
      );
      return 2;
    }
    const earlier = await context.ledger.read(model, commit);
    const attempt = earlier.filter((entry) => entry.action === CliAction.retrainRequested).length + 1;
    const correlationId = `retrain-${randomUUID()}`;
    const causedBy = [{ source: "modelgate-cli", id: correlationId }];
    // Validated before anything is recorded: a bad --as fails here, naming the field.
    const message: TrainingRequested = parseMessage(Topic.trainingRequested, {
      schemaVersion: 1,
      correlationId,
      model,
      commit,
      repository: modelConfig.repository,
      causedBy,
      createdAt: new Date().toISOString(),
      trigger: "manual",
      requestedBy,
      retrain: attempt,
    });

    // Recorded first: a publish that fails leaves the request on record, and the next retrain takes the next number.
    await context.ledger.append({
      model,
      commit,
      step: "modelgate retrain",
      action: CliAction.retrainRequested,
      outcome: Outcome.accepted,
      correlationId,
      causedBy,
      details: { requestedBy, retrain: attempt, ...(reason === undefined ? {} : { reason }) },
    });
    const messageId = await publishOne(context, Topic.trainingRequested, message);
    io.out(
      `retrain ${attempt} of ${model}@${commit} requested by ${requestedBy}: ${Topic.trainingRequested} message ${messageId}, correlation ${correlationId}\n` +
        `follow it: npx modelgate lineage ${model} --commit ${commit}\n`,
    );
    return 0;
  },
};
