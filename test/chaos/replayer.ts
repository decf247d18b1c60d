import { runCli } from "../../cli/main.js";
import type { LocalPubSubServer } from "../../local/pubsub/index.js";
import { type TopicName, topicNames } from "../../shared/topology.js";

/**
 * Replays dead letters as an operator would: every 500 ms, `modelgate replay` on the dead-letter subscription of each
 * topic that has new ones, one replay at a time. `hold` makes it wait (replaying into an outage only dead-letters
 * again).
 */
export class DeadLetterReplayer {
  /** While true, new dead letters wait. */
  hold = false;
  /** Messages `modelgate replay` reported as replayed. */
  replayed = 0;
  private replaying = false;
  private handled = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly pubsub: LocalPubSubServer,
    private readonly env: Record<string, string | undefined>,
    private readonly log: (line: string) => void,
  ) {
    this.timer = setInterval(() => this.tick(), 500);
  }

  /** True when no replay runs and every dead letter so far has been handed to one. */
  get caughtUp(): boolean {
    return !this.replaying && this.handled >= this.pubsub.stats().deadLettered.length;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private tick(): void {
    if (this.replaying || this.hold) return;
    const dead = this.pubsub.stats().deadLettered;
    if (dead.length <= this.handled) return;
    this.replaying = true;
    const fresh = dead.slice(this.handled);
    this.handled = dead.length;
    const topics = new Set<TopicName>();
    for (const record of fresh) {
      const topic = topicNames.find((t) => record.deadLetterTopic.endsWith(`/${t}-dead-letter`));
      if (topic) topics.add(topic);
      this.log(`dead-lettered ${record.messageId} from ${record.subscription} (${record.reason})`);
    }
    void this.replay(topics).finally(() => {
      this.replaying = false;
    });
  }

  private async replay(topics: Set<TopicName>): Promise<void> {
    for (const topic of topics) {
      const out: string[] = [];
      const io = { out: (t: string) => out.push(t), err: (t: string) => out.push(t), env: this.env };
      const code = await runCli(["replay", "--subscription", topic], io);
      this.log(`replay ${topic}: exit ${code} ${out.join("").trim()}`);
      // One "replayed <id> …" line per message; the closing "replayed N message(s)" line is the total.
      this.replayed += out.join("").match(/^replayed (?!\d+ message\(s\))/gm)?.length ?? 0;
    }
  }
}
