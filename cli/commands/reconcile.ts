import { randomUUID } from "node:crypto";
import { parseMessage, type ReconcileRequested } from "../../shared/contracts.js";
import type { LedgerEntry } from "../../shared/ledger.js";
import { ReconcileAction } from "../../shared/ledger-actions.js";
import { listAppliedReleases } from "../../shared/releases/applied-release.js";
import { Topic } from "../../shared/topology.js";
import { type CliContext, cliContext, publishOne } from "../cli-runtime.js";
import type { Command } from "../command.js";
import { UsageError } from "../command.js";

/** The records that end one model's part of a reconcile run. */
const verdicts: readonly string[] = [
  ReconcileAction.inSync,
  ReconcileAction.driftDetected,
  ReconcileAction.reconcileSkipped,
];

/**
 * Publishes a reconcile request (trigger "manual", "interval" for `npm start`) for `models` (all when empty) and
 * returns its correlation id, by which its ledger records are found.
 */
export async function requestReconcile(
  context: Pick<CliContext, "config" | "settings">,
  request: { trigger: "manual" | "interval"; requestedBy: string; dryRun: boolean; models: string[] },
): Promise<string> {
  const correlationId = `reconcile-${randomUUID()}`;
  const message: ReconcileRequested = parseMessage(Topic.reconcileRequested, {
    schemaVersion: 1,
    correlationId,
    trigger: request.trigger,
    requestedBy: request.requestedBy,
    ...(request.dryRun ? { dryRun: true } : {}),
    ...(request.models.length > 0 ? { models: request.models } : {}),
    createdAt: new Date().toISOString(),
  });
  await publishOne(context, Topic.reconcileRequested, message);
  return correlationId;
}

export const reconcile: Command = {
  path: ["reconcile"],
  summary: "compare each endpoint with its applied release now; report (or, where configured, repair) drift",
  usage:
    "usage: modelgate reconcile [--dry-run] [--model NAME]... [--wait SECONDS]\n\n" +
    "  --dry-run  record and print the drift, request no repair (models with releases.drift: repair included)\n" +
    "  --model    only this model (repeatable); default: every model with an applied release\n" +
    "  --wait     how long to wait for reconcileEndpoints' records (default 60)\n\n" +
    "  Exit status: 0 every endpoint serves its release, 1 drift was found, 3 no answer within --wait.",
  options: {
    "dry-run": { type: "boolean" },
    model: { type: "string", multiple: true },
    wait: { type: "string" },
  },
  async run({ values }, io) {
    const waitSeconds = values.wait === undefined ? 60 : Number(values.wait);
    if (!Number.isFinite(waitSeconds) || waitSeconds <= 0) {
      throw new UsageError(`--wait takes a number of seconds\n\n${this.usage}`);
    }
    const context = cliContext(io.env);
    const models = (values.model as string[] | undefined) ?? [];
    const unknown = models.filter((m) => context.config.models[m] === undefined);
    if (unknown.length > 0) throw new UsageError(`not configured: ${unknown.join(", ")}\n\n${this.usage}`);
    const applied = (await listAppliedReleases(context.blobs)).map((a) => a.model);
    const expected = applied.filter((m) => models.length === 0 || models.includes(m));
    if (expected.length === 0) {
      io.out("no model has an applied release yet: nothing to reconcile\n");
      return 0;
    }
    const dryRun = values["dry-run"] === true;
    const requestedBy = io.env.USER ?? "modelgate-cli";
    const correlationId = await requestReconcile(context, { trigger: "manual", requestedBy, dryRun, models });
    io.out(`reconcile ${correlationId}${dryRun ? " (dry run)" : ""}: ${expected.join(", ")}\n`);
    const found = await waitForVerdicts(context, expected, correlationId, waitSeconds * 1000);
    let drift = false;
    for (const model of expected) {
      const records = found.get(model) ?? [];
      drift ||= records.some((r) => r.action === ReconcileAction.driftDetected);
      io.out(describeModel(model, records));
    }
    if (expected.some((m) => !found.has(m))) return 3;
    return drift ? 1 : 0;
  },
};

/** Polls each expected model's ledger for the run's records until every model has its verdict or time is up. */
async function waitForVerdicts(
  context: CliContext,
  models: string[],
  correlationId: string,
  timeoutMs: number,
): Promise<Map<string, LedgerEntry[]>> {
  const found = new Map<string, LedgerEntry[]>();
  const deadline = Date.now() + timeoutMs;
  while (found.size < models.length && Date.now() < deadline) {
    for (const model of models.filter((m) => !found.has(m))) {
      const page = await context.ledger.readCommitPage(model, { limit: 5 });
      const records = page.commits.flatMap((c) => c.entries).filter((e) => e.correlationId === correlationId);
      if (records.some((r) => verdicts.includes(r.action))) found.set(model, records);
    }
    if (found.size < models.length) await new Promise((done) => setTimeout(done, 500));
  }
  return found;
}

/** One model's lines: in sync, skipped and why, or each difference, who or what changed it, and the repair. */
export function describeModel(model: string, records: LedgerEntry[]): string {
  const verdict = records.find((r) => verdicts.includes(r.action));
  if (verdict === undefined) return `  ${model}: no answer yet (is reconcileEndpoints running?)\n`;
  const details = verdict.details ?? {};
  if (verdict.action === ReconcileAction.inSync) return `  ${model}: in sync (${verdict.commit})\n`;
  if (verdict.action === ReconcileAction.reconcileSkipped)
    return `  ${model}: skipped: ${String(details.reason)}\n`;
  const differences = (details.differences as Array<{ summary: string }> | undefined) ?? [];
  const cause = details.changedBy as { by: string; changes?: Array<Record<string, string>> } | undefined;
  const lines = [`  ${model}: DRIFT from release ${verdict.commit}`];
  for (const d of differences) lines.push(`    - ${d.summary}`);
  if (cause?.by === "modelgate") {
    for (const c of cause.changes ?? []) {
      lines.push(
        `    changed by modelgate: ${c.step} ${c.action} for ${c.commit} (correlation ${c.correlationId}, ${c.at})`,
      );
    }
  } else {
    lines.push('    changed outside modelgate: Cloud Audit Logs name who (docs/flux.md, "Who changed it")');
  }
  const repair = records.find((r) => r.action === ReconcileAction.repairRequested);
  lines.push(
    details.repair === "requested"
      ? `    repair requested: deployment-requested ${String(repair?.details?.messageId)} (reason release-repair)`
      : details.repair === "already-requested"
        ? "    repair already requested for this drift"
        : `    reported only (${String(details.mode)})`,
  );
  return `${lines.join("\n")}\n`;
}
