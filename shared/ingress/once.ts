import { holdClaim } from "../claim-store.js";
import type { ClaimStore } from "../ports.js";

export type OnceOutcome<T> = { state: "done"; value: T } | { state: "duplicate"; previous: unknown };

/**
 * Runs `work` once per idempotency key. A key already completed returns `duplicate` with what was stored; a key
 * held by a live attempt throws ClaimHeldError (retryable). `work` turns permanent failures into a value itself;
 * anything it throws releases the claim so the redelivery can try again, then propagates. So does a failure to
 * complete the claim after `work` succeeded: held until it expired, the redelivery the reply asks for would get
 * "in progress" for the claim's whole lifetime and only then do the work again.
 */
export async function runOnce<T>(
  claims: ClaimStore,
  scope: string,
  key: string,
  work: () => Promise<T>,
  summarise: (value: T) => unknown = (value) => value,
): Promise<OnceOutcome<T>> {
  const claimed = await claims.claim(scope, key);
  if (claimed.state === "completed") return { state: "duplicate", previous: claimed.result };
  const held = holdClaim(claims, claimed.claim);
  let value: T;
  try {
    value = await work();
  } catch (error) {
    await held.stop();
    await claims.release(held.current()).catch(() => undefined);
    throw error;
  }
  await held.stop();
  try {
    await claims.complete(held.current(), summarise(value));
  } catch (error) {
    await claims.release(held.current()).catch(() => undefined);
    throw error;
  }
  return { state: "done", value };
}
