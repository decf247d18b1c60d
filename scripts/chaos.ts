// Runs the chaos suite's scenario once and prints its table: `tsx scripts/chaos.ts [--seed N] [--commits N]`.
// Exit code 1 when an invariant is violated. The same as `npm run test:chaos`, without vitest.
import { parseArgs } from "node:util";
import { runChaos } from "../test/chaos/harness.js";
import { formatReport } from "../test/chaos/table.js";

const { values } = parseArgs({
  options: { seed: { type: "string" }, commits: { type: "string" }, quiet: { type: "boolean" } },
});
// The same defaults as `npm run test:chaos`; `--seed random` draws a fresh seed (printed, so it can be replayed).
const seedArg = values.seed ?? process.env.MODELGATE_CHAOS_SEED ?? "20240608";
const seed = seedArg === "random" ? Math.floor(Math.random() * 2 ** 31) : Number(seedArg);
const commits = Number(values.commits ?? process.env.MODELGATE_CHAOS_COMMITS ?? 6);
console.log(`chaos: seed ${seed}, ${commits} commit(s) per model`);
const report = await runChaos({
  seed,
  commitsPerModel: commits,
  ...(values.quiet ? {} : { log: (line: string) => console.log(`  · ${line}`) }),
});
console.log(formatReport(report));
process.exit(report.problems.length === 0 ? 0 : 1);
