import { buildExampleObjects, EXAMPLE_OBJECTS } from "../../examples/fraud-detector/seed-data.js";
import { findModelConfig } from "../../shared/config.js";
import { rolloutSteps } from "../../shared/rollout-plan.js";
import { readStackFile } from "../cli-env.js";
import { cliContext } from "../cli-runtime.js";
import type { Command } from "../command.js";
import { deliverGithubEvent, pushPayload } from "../github-push.js";
import { demoCommit, recordedGithubView } from "./demo-github.js";
import { type DemoRun, followRollout, outcomeLine, reportUrl } from "./demo-rollout.js";

const model = "fraud-detector";
/** The demo's person: one of fraud-detector's promotion.promoters in modelgate.config.yaml. */
const demoPerson = "modelgate-demo";

/** The demo's pushes, in order: each trains on the data named, then goes through the whole chain. */
const runs: readonly DemoRun[] = [
  { label: "a model trained on the normal data", data: EXAMPLE_OBJECTS.train },
  { label: "a code change, retrained on the same data", data: EXAMPLE_OBJECTS.train },
  {
    label: "a retrain after a labelling job lost 70 % of the fraud labels",
    data: EXAMPLE_OBJECTS.trainLostLabels,
    promoteAs: demoPerson,
  },
];

export const demo: Command = {
  path: ["demo"],
  summary:
    "against the running stack: a good model rolled out in steps, a worse one rolled back at a later step, with what GitHub shows",
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
    const contents = new Map(buildExampleObjects().map((o) => [o.name, o.contents]));
    const normal = contents.get(EXAMPLE_OBJECTS.train) ?? "";
    const touched = modelConfig.paths[0]?.replace(/\*+.*$/, "") ?? "";
    const steps = rolloutSteps(modelConfig);
    io.out(
      `${model} rolls out in ${steps.length} step${steps.length === 1 ? "" : "s"}: ` +
        `${steps.map((s) => `${s.traffic} %${s.bakeMs ? ` (bake ${s.bakeMs / 1000} s)` : ""}`).join(" → ")}` +
        " of the endpoint's traffic, each verified on the golden set through the live endpoint.\n",
    );

    const pushOne = async (run: DemoRun) => {
      await context.blobs.write(EXAMPLE_OBJECTS.train, contents.get(run.data) ?? "", {
        contentType: "application/x-ndjson",
      });
      const commit = await demoCommit(githubApi, modelConfig.repository, run.label);
      io.out(
        `\n▶ ${run.label}: push ${commit.slice(0, 12)} to ${modelConfig.repository}@${modelConfig.branch ?? "main"}\n`,
      );
      const reply = await deliverGithubEvent(
        webhook,
        secret,
        "push",
        pushPayload({
          repository: modelConfig.repository,
          ref: `refs/heads/${modelConfig.branch ?? "main"}`,
          commit,
          modified: [`${touched}train.py`],
          message: run.label,
        }),
      );
      io.out(`  githubWebhook answered ${reply.status} ${JSON.stringify(reply.body)}\n`);
      if (reply.status >= 300) return { commit, outcome: undefined };
      const outcome = await followRollout(
        context,
        { model, commit, run, steps, timeoutMs, started: Date.now() },
        io,
      );
      return { commit, outcome };
    };

    try {
      const results = [];
      for (const run of runs) results.push(await pushOne(run));
      io.out("\nSummary\n");
      for (const { commit, outcome } of results) {
        io.out(`  ${commit.slice(0, 12)}  ${outcomeLine(outcome, steps)}\n`);
        io.out(
          `    report: ${reportUrl(stack.env.STORAGE_EMULATOR_HOST, context.config.bucket, model, commit, outcome)}\n`,
        );
        if (githubApi) io.out(`  What GitHub shows:\n${await recordedGithubView(githubApi, commit)}`);
      }
      io.out(`\nSee the whole story: npx modelgate lineage ${model}\n`);
      return results.every((r) => r.outcome?.finished) ? 0 : 1;
    } finally {
      // Leave the example data as `npm start` seeded it.
      await context.blobs.write(EXAMPLE_OBJECTS.train, normal, { contentType: "application/x-ndjson" });
    }
  },
};
