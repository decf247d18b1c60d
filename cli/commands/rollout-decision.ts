import { randomUUID } from "node:crypto";
import { plannedDeployment, readCanaryPlan } from "../../functions/deploy-model/canary-plan.js";
import { reportObjectNames } from "../../functions/verify-deployment/report.js";
import { findModelConfig } from "../../shared/config.js";
import { parseMessage, type ResumeAction, type VerificationCompleted } from "../../shared/contracts.js";
import { Outcome } from "../../shared/ledger.js";
import { CliAction } from "../../shared/ledger-actions.js";
import { Topic } from "../../shared/topology.js";
import { type CliContext, cliContext, publishOne } from "../cli-runtime.js";
import type { CliIO, Command } from "../command.js";
import { UsageError } from "../command.js";
import { type RolloutState, resumeProblem, rolloutState } from "../rollout-state.js";

const fullSha = /^[0-9a-f]{40}$/;

function decisionCommand(action: ResumeAction, summary: string, usageNote: string): Command {
  return {
    path: [action],
    summary,
    usage:
      `usage: modelgate ${action} MODEL --commit SHA [--as LOGIN] [--reason TEXT]\n\n` +
      "  SHA: the full 40-digit commit\n" +
      "  LOGIN: who decides, one of the model's promotion.promoters (default: $USER)\n\n" +
      usageNote,
    options: { commit: { type: "string" }, as: { type: "string" }, reason: { type: "string" } },
    run(args, io) {
      return decide(action, args, io, this.usage);
    },
  };
}

export const promote = decisionCommand(
  "promote",
  "continue a rollout paused for approval or at an inconclusive step",
  "  The step's verdict is sent again to rolloutModel with your approval; who and when go to the ledger.",
);

export const abort = decisionCommand(
  "abort",
  "roll a rollout back from any step, restoring the split from before it began",
  "  rolloutModel restores the endpoint's split from before the rollout and undeploys the candidate.",
);

type ParsedArgs = Parameters<Command["run"]>[0];

async function decide(
  action: ResumeAction,
  { values, positionals }: ParsedArgs,
  io: CliIO,
  usage: string,
): Promise<number> {
  const model = positionals[0];
  if (!model || positionals.length > 1) throw new UsageError(`name one model\n\n${usage}`);
  const commit = typeof values.commit === "string" ? values.commit : "";
  if (!fullSha.test(commit)) {
    throw new UsageError(
      `--commit must be the full 40-digit lowercase SHA (got "${commit.slice(0, 64)}")\n\n${usage}`,
    );
  }
  // The CLI's identity: --as, else the OS login ($USER), as `modelgate retrain` does.
  const by = (typeof values.as === "string" ? values.as : (io.env.USER ?? "")).trim();
  if (!by) throw new UsageError(`say who decides: --as LOGIN (no $USER either)\n\n${usage}`);
  const context = cliContext(io.env);
  const modelConfig = findModelConfig(context.config, model);
  if (!modelConfig) {
    io.err(`model "${model}" is not configured (models: ${Object.keys(context.config.models).join(", ")})\n`);
    return 2;
  }
  const at = new Date().toISOString();
  const correlationId = `${action}-${randomUUID()}`;
  const record = (outcome: Outcome, details: Record<string, unknown>) =>
    context.ledger.append({
      model,
      commit,
      step: `modelgate ${action}`,
      action: action === "promote" ? CliAction.promoteRequested : CliAction.abortRequested,
      outcome,
      correlationId,
      causedBy: [{ source: "modelgate-cli", id: correlationId }],
      details: { by, at, ...details },
    });
  const promoters = modelConfig.promotion.promoters;
  const state = rolloutState(await context.ledger.read(model, commit));
  const problem = promoters.includes(by)
    ? resumeProblem(action, state)
    : `"${by}" is not one of ${model}'s promotion.promoters (${promoters.join(", ") || "nobody is configured"})`;
  if (problem) {
    await record(Outcome.refused, { reason: problem });
    io.err(`modelgate ${action} ${model}@${commit} refused: ${problem}\n`);
    return 1;
  }
  const message = await decisionMessage(action, state, { model, commit, by, at, correlationId }, context);
  await record(Outcome.accepted, { step: message.rolloutStep ?? 0 });
  const messageId = await publishOne(context, Topic.verificationCompleted, message);
  io.out(
    `${action} of ${model}@${commit} at step ${(message.rolloutStep ?? 0) + 1} by ${by}: ${Topic.verificationCompleted} message ${messageId}\n` +
      `follow it: npx modelgate lineage ${model} --commit ${commit}\n`,
  );
  return 0;
}

/**
 * The verification-completed that carries the decision: a pause's verdict re-sent with it; for an abort of a
 * rollout under way, a fail built from deployModel's plan (which holds the split from before the rollout).
 */
async function decisionMessage(
  action: ResumeAction,
  state: RolloutState,
  who: { model: string; commit: string; by: string; at: string; correlationId: string },
  context: CliContext,
): Promise<VerificationCompleted> {
  const resume = { action, by: who.by, at: who.at };
  const causedBy = [{ source: "modelgate-cli", id: who.correlationId }];
  if (state.kind === "paused") {
    return parseMessage(Topic.verificationCompleted, {
      ...state.verification,
      causedBy,
      createdAt: who.at,
      resume,
    });
  }
  const stored = await readCanaryPlan(context.blobs, who.model, who.commit);
  if (!stored) throw new UsageError(`no deployment plan of ${who.model}@${who.commit} is in the bucket`);
  const { plan } = stored;
  const step = state.kind === "running" ? state.step : 0;
  const report = reportObjectNames(who.model, who.commit, step).json;
  const modelConfig = findModelConfig(context.config, who.model);
  return parseMessage(Topic.verificationCompleted, {
    schemaVersion: 1,
    correlationId: plan.correlationId,
    model: who.model,
    commit: who.commit,
    repository: modelConfig?.repository,
    causedBy,
    createdAt: who.at,
    ...plannedDeployment(plan),
    rolloutStep: step,
    verdict: "fail",
    reasons: [`aborted by ${who.by} at ${who.at}`],
    metrics: {},
    reportUri: `gs://${context.blobs.bucket}/${report}`,
    resume,
  });
}
