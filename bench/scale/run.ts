// `npm run bench:scale`: how modelgate's costs grow with the models in one push, the commits in a model's ledger,
// and the verifications running at once. Prints one table per curve, each figure with the 1-minute load average
// when it was taken. Nothing is written to the repository. Sizes come from the environment (see docs/performance.md,
// "Scale"): SCALE_MODELS, SCALE_COMMITS, SCALE_VERIFY_MODELS, SCALE_RUNS, SCALE_PUSHES, SCALE_SECTIONS.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { startLocalServers } from "../../test/support/local-servers.js";
import { vertexFixture } from "../../test/support/vertex-fixture.js";
import { benchConcurrentVerify, type VerifyRow } from "./concurrent-verify.js";
import { benchLedger } from "./ledger-commits.js";
import { machineLine, median, ms, sizesFrom, table } from "./machine.js";

const env = process.env;
const sections = new Set((env.SCALE_SECTIONS ?? "webhook,ledger,verify").split(","));
const modelSizes = sizesFrom(env, "SCALE_MODELS", [1, 10, 100]);
const commitSizes = sizesFrom(env, "SCALE_COMMITS", [100, 1_000, 10_000]);
const [verifyModels = 10] = sizesFrom(env, "SCALE_VERIFY_MODELS", [10]);
const [runs = 3] = sizesFrom(env, "SCALE_RUNS", [3]);
const [pushes = 3] = sizesFrom(env, "SCALE_PUSHES", [3]);
const out = (text: string) => process.stdout.write(`${text}\n`);

out(`modelgate scale benchmark — ${new Date().toISOString()} — ${machineLine()}`);
out("every figure is followed by the 1-minute load average when it was taken; this machine is shared\n");

if (sections.has("webhook")) {
  const rows: string[][] = [];
  for (const models of modelSizes) {
    const result = await webhookSize(models);
    const [cold, ...warm] = result.runs;
    if (!cold) throw new Error(`no push measured for ${models} models`);
    const warmAnswer = warm.length > 0 ? median(warm.map((r) => r.answerMs)) : undefined;
    const warmPublished = warm.length > 0 ? median(warm.map((r) => r.allPublishedMs)) : undefined;
    rows.push([
      String(models),
      ms(cold.answerMs),
      warmAnswer === undefined ? "-" : ms(warmAnswer),
      ms(cold.allPublishedMs),
      warmPublished === undefined ? "-" : ms(warmPublished),
      warmAnswer === undefined ? "-" : ms(warmAnswer / models),
      result.runs.map((r) => r.load).join(" "),
    ]);
  }
  out(
    "one push touching every model — githubWebhook in-process (Functions Framework), local Storage + Pub/Sub",
  );
  out(
    `first push on a fresh instance (cold), then the median of ${pushes - 1} more (warm); GitHub gives up at 10 s`,
  );
  out(
    table(
      [
        "models",
        "answer cold",
        "answer warm",
        "all published cold",
        "all published warm",
        "warm per model",
        "load",
      ],
      rows,
    ),
  );
  out("");
}

if (sections.has("ledger")) {
  const quiet = quietFunctionLogs();
  try {
    const rows = await benchLedger(commitSizes, {
      runs,
      readAllUpTo: Number(env.SCALE_READ_ALL_UP_TO ?? 1_000),
    });
    const perCommit = rows[0] ? rows[0].records / rows[0].commits : 0;
    quiet.print(
      `ledger of one model, ${perCommit} records per commit — modelgate CLI in-process, median of ${runs}`,
    );
    quiet.print(
      table(
        [
          "commits",
          "records",
          "seed",
          "lineage --commit",
          "lineage (page of 20)",
          "status",
          "read all (before paging)",
          "load",
        ],
        rows.map((r) => [
          r.commits.toLocaleString("en"),
          r.records.toLocaleString("en"),
          ms(r.seedMs),
          ms(r.lineageCommitMs),
          ms(r.lineagePageMs),
          ms(r.statusMs),
          r.readAllMs === undefined ? "-" : ms(r.readAllMs),
          r.load,
        ]),
      ),
    );
    quiet.print("");
  } finally {
    quiet.done();
  }
}

if (sections.has("verify")) {
  const servers = await startLocalServers({ log: () => undefined });
  const vertex = vertexFixture(servers);
  const restore = quietFunctionLogs();
  try {
    const serving = "5e00000000000000000000000000000000000001";
    const candidate = "ca00000000000000000000000000000000000002";
    await vertex.train(serving);
    await vertex.train(candidate);

    const rows: VerifyRow[] = [];
    for (const [round, routed] of [false, true].entries()) {
      rows.push(
        await benchConcurrentVerify(servers, vertex, {
          models: verifyModels,
          servingCommit: serving,
          candidateCommit: candidate,
          routed,
          round: round + 1,
        }),
      );
    }
    restore.print(
      `${verifyModels} models verifying at once against one local Vertex AI — 1,000 golden rows each, 10 % canary, batch 100, concurrency 4`,
    );
    restore.print(
      table(
        [
          "candidate reached by",
          "models",
          "wall",
          "verifications/min",
          "slowest",
          "fastest",
          "requests",
          "instances sent / scored",
          "served by serving version",
          "verdicts",
          "load",
        ],
        rows.map((r) => [
          r.routing,
          String(r.models),
          ms(r.wallMs),
          r.perMinute.toFixed(1),
          ms(r.slowestMs),
          ms(r.fastestMs),
          r.requests.toLocaleString("en"),
          r.instancesPerScoredRow.toFixed(2),
          r.servedByOthers.toLocaleString("en"),
          r.verdicts,
          r.load,
        ]),
      ),
    );
  } finally {
    restore.done();
    await vertex.close();
    await servers.close();
  }
}
process.exit(0);

/** Runs one size of the push benchmark in its own process; its function logs are dropped, its result parsed. */
function webhookSize(models: number): Promise<{
  models: number;
  runs: Array<{ answerMs: number; allPublishedMs: number; load: string }>;
}> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", join(import.meta.dirname, "webhook-push.ts"), String(models), String(pushes)],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString("utf8");
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr = (stderr + chunk.toString("utf8")).slice(-4000);
    });
    child.on("exit", (code) => {
      const line = stdout.split("\n").find((l) => l.startsWith('{"models"'));
      if (code !== 0 || !line) reject(new Error(`webhook-push.ts ${models} exited ${code}: ${stderr}`));
      else resolvePromise(JSON.parse(line));
    });
  });
}

/** The functions log every step as JSON lines on stdout; the tables are what this run is for. */
function quietFunctionLogs() {
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) =>
    typeof chunk === "string" && chunk.startsWith('{"severity"')
      ? true
      : (write as (...args: unknown[]) => boolean)(chunk, ...rest)) as typeof process.stdout.write;
  return {
    print: (text: string) => write(`${text}\n`),
    done: () => {
      process.stdout.write = write;
    },
  };
}
