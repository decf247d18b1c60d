// `node local/measure-start.mjs [runs] [directory]`: how long `npm start` takes to print its ready line, measured
// from the moment `npm start` is invoked (npm's own start-up included), then stops it with SIGINT. Each run also
// prints the CPU time the stack's processes used until then and what the rest of the machine used in the same
// span, so a figure taken on a busy machine says so. Not part of `npm test`: a timing is not a pass/fail check.
// See docs/performance.md ("npm start").
import { spawn } from "node:child_process";
import { once } from "node:events";
import { readdirSync, readFileSync } from "node:fs";

const ticks = 100; // USER_HZ: the unit of /proc/stat and /proc/<pid>/stat on Linux
const runs = Number(process.argv[2] ?? 3);
const directory = process.argv[3] ?? process.cwd();

/** CPU seconds every core of the machine spent busy since boot. */
function machineBusy() {
  const [user, nice, system, , , irq, softirq, steal] = readFileSync("/proc/stat", "utf8")
    .split("\n")[0]
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  return (user + nice + system + irq + softirq + steal) / ticks;
}

/** CPU seconds of the processes in a process group, with their children that have exited. */
function groupCpu(pgid) {
  let seconds = 0;
  for (const pid of readdirSync("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[2]) !== pgid) continue;
      seconds += (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) / ticks;
    } catch {
      // gone meanwhile
    }
  }
  return seconds;
}

const figures = [];
for (let run = 1; run <= runs; run++) {
  const busyBefore = machineBusy();
  const started = performance.now();
  const child = spawn("npm", ["start"], {
    cwd: directory,
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  const exited = once(child, "exit");
  const ready = await new Promise((resolve, reject) => {
    let output = "";
    const onData = (chunk) => {
      output += chunk;
      if (/modelgate is running \(ready in/.test(output)) resolve(output);
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.once("exit", () => reject(new Error(`npm start exited before it was ready:\n${output}`)));
  });
  const wall = (performance.now() - started) / 1000;
  const ours = groupCpu(child.pid);
  const others = Math.max(0, machineBusy() - busyBefore - ours);
  const banner = /ready in ([\d.]+) s/.exec(ready)?.[1];
  process.kill(-child.pid, "SIGINT");
  await exited;
  figures.push(wall);
  console.log(
    `run ${run}: ready ${wall.toFixed(2)} s after \`npm start\` (banner ${banner} s); ` +
      `stack CPU ${ours.toFixed(1)} s, other work on the machine ${others.toFixed(1)} s in that time`,
  );
}
figures.sort((a, b) => a - b);
console.log(`median ${figures[Math.floor(figures.length / 2)]?.toFixed(2)} s of ${figures.length} runs`);
