import { setTimeout as sleep } from "node:timers/promises";
import type { ChaosReport } from "./report.js";
import type { Rng } from "./rng.js";

/** Sends one GitHub event once; resolves with the HTTP status, 0 when the connection failed. */
export type GithubSend = (event: string, payload: unknown, deliveryId: string) => Promise<number>;

/**
 * Delivers one GitHub event 1–4 times with the same delivery id, after random pauses (so out of order), then, like an
 * operator pressing "Redeliver" on GitHub, again every 500 ms (20 times at most) until one delivery is accepted.
 */
export async function deliverWithDuplicates(
  send: GithubSend,
  report: ChaosReport,
  r: Rng,
  event: string,
  payload: unknown,
  deliveryId: string,
): Promise<void> {
  const count = (status: number) => {
    report.webhookStatuses[status] = (report.webhookStatuses[status] ?? 0) + 1;
  };
  const copies = r.int(1, 4);
  report.webhookDeliveries += copies;
  report.webhookDuplicates += copies - 1;
  const pauses = Array.from({ length: copies }, () => r.int(0, 250));
  const statuses = await Promise.all(
    pauses.map(async (ms) => {
      await sleep(ms);
      return send(event, payload, deliveryId);
    }),
  );
  for (const s of statuses) count(s);
  let accepted = statuses.some(isAccepted);
  for (let i = 0; !accepted && i < 20; i++) {
    await sleep(500);
    report.webhookDeliveries += 1;
    report.webhookDuplicates += 1;
    const status = await send(event, payload, deliveryId);
    count(status);
    accepted = isAccepted(status);
  }
  if (!accepted) report.problems.push(`webhook delivery ${deliveryId} was never accepted`);
}

function isAccepted(status: number): boolean {
  return status >= 200 && status < 300;
}
