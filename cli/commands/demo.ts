import { buildExampleObjects, EXAMPLE_OBJECTS } from "../../examples/fraud-detector/seed-data.js";
import { findModelConfig } from "../../shared/config.js";
import { Verdict } from "../../shared/contracts.js";
import { type LedgerEntry, Outcome } from "../../shared/ledger.js";
import { readStackFile } from "../cli-env.js";
import { cliContext } from "../cli-runtime.js";
import type { Command } from "../command.js";
import { followChain } from "../follow-chain.js";
import { deliverGithubEvent, pushPayload } from "../github-push.js";
import { demoCommit, recordedGithubView } from "./demo-github.js";

const model = "fraud-detector";

export const demo: Command = {
  path: ["demo"],
  summary: "against the running stack: push a good model (rolled out), then a shifted one (rolled back)",
  usage: "usage: modelgate demo [--timeout SECONDS]\n\n  Needs `npm start` running in another terminal.",
  options: { timeout: { type: "string" } },
  async run({ values }, io) {
    const stack = readStackFile(io.env);
    if (!stack) {
      io.err(
        "no running modelgate stack found: start it with `npm start` in another terminal, then run the demo.\n",
      );
      return 2;
    }
    const timeoutMs = Number(values.timeout ?? 120) * 1000;
    const context = cliContext(io.env);
    const modelConfig = findModelConfig(context.config, model);
    if (!modelConfig) {
      io.err(`the demo needs the example model "${model}" in the configuration\n`);
      return 2;
    }
    const webhook = stack.urls.githubWebhook;
    const secret = stack.env.GITHUB_WEBHOOK_SECRET;
    if (!webhook || !secret) {
      io.err("the stack file names no githubWebhook URL or secret; restart `npm start`\n");
      return 2;
    }
    const githubApi = stack.env.MODELGATE_GITHUB_API_URL;
    const objects = buildExampleObjects();
    const normal = objects.find((o) => o.name === EXAMPLE_OBJECTS.train)?.contents ?? "";
    const shifted = objects.find((o) => o.name === EXAMPLE_OBJECTS.trainShifted)?.contents ?? "";
    const touched = modelConfig.paths[0]?.replace(/\*+.*$/, "") ?? "";

    const runOne = async (label: string, data: string) => {
      await context.blobs.write(EXAMPLE_OBJECTS.train, data, { contentType: "application/x-ndjson" });
      const commit = await demoCommit(githubApi, modelConfig.repository, label);
      io.out(
        `\n▶ ${label}: push ${commit.slice(0, 12)} to ${modelConfig.repository}@${modelConfig.branch ?? "main"}\n`,
      );
      const started = Date.now();
      const reply = await deliverGithubEvent(
        webhook,
        secret,
        "push",
        pushPayload({
          repository: modelConfig.repository,
          ref: `refs/heads/${modelConfig.branch ?? "main"}`,
          commit,
          modified: [`${touched}train.py`],
          message: label,
        }),
      );
      io.out(`  githubWebhook answered ${reply.status} ${JSON.stringify(reply.body)}\n`);
      if (reply.status >= 300) return { commit, outcome: undefined };
      const outcome = await followChain(context.ledger, model, commit, {
        timeoutMs,
        onEntry: (entry) => io.out(progressLine(entry, started)),
      });
      return { commit, outcome };
    };

    try {
      const first = await runOne("a model trained on the normal data", normal);
      const second = await runOne("a model trained on shifted data", shifted);
      io.out("\nSummary\n");
      for (const run of [first, second]) {
        const verdict = await readVerdict(context.blobs, run.commit);
        const reportUrl = `${stack.env.STORAGE_EMULATOR_HOST}/storage/v1/b/${context.config.bucket}/o/${encodeURIComponent(
          `reports/${model}/${run.commit}/report.html`,
        )}?alt=media`;
        const status = !run.outcome?.finished
          ? "did not finish in time"
          : verdict === Verdict.pass
            ? "verified and ROLLED OUT (100% traffic, alias production)"
            : verdict === Verdict.fail
              ? "failed verification and was ROLLED BACK (previous split restored)"
              : "stopped before verification";
        io.out(`  ${run.commit.slice(0, 12)}  ${status}\n    report: ${reportUrl}\n`);
        if (githubApi) io.out(`  What GitHub shows:\n${await recordedGithubView(githubApi, run.commit)}`);
      }
      io.out(`\nSee the whole story: npx modelgate lineage ${model}\n`);
      const ok = first.outcome?.finished && second.outcome?.finished;
      return ok ? 0 : 1;
    } finally {
      // Leave the example data as `npm start` seeded it.
      await context.blobs.write(EXAMPLE_OBJECTS.train, normal, { contentType: "application/x-ndjson" });
    }
  },
};

function progressLine(entry: LedgerEntry, started: number): string {
  const elapsed = ((Date.parse(entry.at) - started) / 1000).toFixed(1).padStart(5);
  const mark = entry.outcome === Outcome.failed || entry.outcome === Outcome.refused ? "✗" : "✓";
  return `  ${elapsed}s  ${mark} ${entry.step.padEnd(17)} ${entry.action} (${entry.outcome})\n`;
}

async function readVerdict(
  blobs: { read(name: string): Promise<{ data: Buffer } | null> },
  commit: string,
): Promise<Verdict | undefined> {
  const report = await blobs.read(`reports/${model}/${commit}/report.json`);
  if (!report) return undefined;
  const parsed = JSON.parse(report.data.toString("utf8")) as { verdict?: unknown };
  return Object.values(Verdict).find((v) => v === parsed.verdict);
}
