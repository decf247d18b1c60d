import type { LocalStack } from "../../local/stack.js";
import type { RequestLogEntry } from "../../local/vertex/server.js";
import type { FunctionName } from "../../shared/topology.js";
import type { KillPoint } from "./faults.js";
import type { ChaosReport, CommitState } from "./report.js";

/** What identifies a commit's calls in the Vertex AI request log: the commit, its deployed model id, its endpoint. */
export interface KillMarkers {
  commit: string;
  deployedModelId: string;
  endpoint: string;
}

/** SIGKILLs functions at kill points, one restart at a time (two restarts of one function would race for its port). */
export class Killer {
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly stack: LocalStack,
    private readonly report: ChaosReport,
    private readonly log: (line: string) => void,
  ) {}

  /** Resolves when every kill so far has restarted its function. */
  settled(): Promise<void> {
    return this.queue;
  }

  /**
   * Watches the Vertex AI request log from entry `from` and kills `point.fn` once the commit's call `point.after` was
   * answered; returns a function that disarms it.
   */
  arm(point: KillPoint, state: CommitState, markers: KillMarkers, from: number): () => void {
    const marker = ["Predict", "UpdateEndpoint"].includes(point.after)
      ? markers.endpoint
      : point.after === "DeployModel"
        ? markers.deployedModelId
        : markers.commit;
    let stopped = false;
    let seen = from;
    const timer = setInterval(() => {
      if (stopped) return;
      const logEntries = this.stack.servers.vertex.requestLog;
      for (; seen < logEntries.length; seen++) {
        const entry = logEntries[seen] as RequestLogEntry;
        if (entry.code !== 0 || !entry.method.endsWith(point.after)) continue;
        if (!JSON.stringify(entry.request).includes(marker)) continue;
        stopped = true;
        clearInterval(timer);
        state.crashes += 1;
        this.report.crashes.push({
          model: state.model,
          commit: state.commit,
          fn: point.fn,
          point: point.label,
        });
        this.log(`kill ${point.fn} ${point.label} (${state.model}@${state.commit.slice(0, 8)})`);
        void this.kill(point.fn).catch((error: unknown) =>
          this.report.problems.push(`restart failed: ${error}`),
        );
        return;
      }
    }, 3);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }

  private kill(name: FunctionName): Promise<void> {
    const next = this.queue.then(() => this.stack.restartFunction(name, "kill"));
    this.queue = next.catch(() => undefined);
    return next;
  }
}
