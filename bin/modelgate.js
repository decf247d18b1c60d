#!/usr/bin/env node
// The `modelgate` command. The CLI is TypeScript run through tsx, so a clone works without a build step.
import { register } from "tsx/esm/api";

register();
const { runCli } = await import("../cli/main.ts");
process.exitCode = await runCli(process.argv.slice(2), {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  env: process.env,
});
