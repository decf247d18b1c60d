// Global set-up of `npm run test:conformance`: starts gcloud's Pub/Sub emulator on a free port with an empty data
// directory, points the tests at it (MODELGATE_CONFORMANCE_PUBSUB, see test/support/pubsub-under-test.ts) and
// stops it afterwards. The tests' worker processes start after this and inherit the variable.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { stablePort } from "../../local/free-port.js";

let emulator: ChildProcess | undefined;
let dataDir: string | undefined;

export async function setup(): Promise<void> {
  const port = await stablePort();
  dataDir = mkdtempSync(join(tmpdir(), "modelgate-pubsub-emulator-"));
  const output: string[] = [];
  // A process group of its own, so stopping it takes the Java server gcloud starts with it.
  emulator = spawn(
    "gcloud",
    [
      "beta",
      "emulators",
      "pubsub",
      "start",
      `--host-port=127.0.0.1:${port}`,
      "--project=local-project",
      `--data-dir=${dataDir}`,
    ],
    { detached: true, stdio: ["ignore", "pipe", "pipe"] },
  );
  for (const stream of [emulator.stdout, emulator.stderr])
    stream?.on("data", (chunk: Buffer) => output.push(chunk.toString()));
  const deadline = Date.now() + 60_000;
  while (!(await accepts(port))) {
    if (emulator.exitCode !== null || Date.now() > deadline) {
      await teardown();
      throw new Error(`gcloud's Pub/Sub emulator did not start on 127.0.0.1:${port}:\n${output.join("")}`);
    }
    await sleep(250);
  }
  process.env.MODELGATE_CONFORMANCE_PUBSUB = `127.0.0.1:${port}`;
  process.stdout.write(`conformance: gcloud's Pub/Sub emulator on 127.0.0.1:${port}\n`);
}

export async function teardown(): Promise<void> {
  const child = emulator;
  emulator = undefined;
  if (child?.pid !== undefined && child.exitCode === null) {
    const exited = new Promise((resolve) => child.once("exit", resolve));
    process.kill(-child.pid, "SIGTERM");
    await Promise.race([exited, sleep(10_000)]);
    if (child.exitCode === null) process.kill(-child.pid, "SIGKILL");
  }
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}
