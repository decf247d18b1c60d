import type { Config } from "../config.js";
import type { Logger } from "../logger.js";
import type { ClaimStore, Ledger, Publisher } from "../ports.js";

/** The ports every ingress function uses; a Runtime satisfies it. */
export interface IngressDeps {
  config: Config;
  claims: ClaimStore;
  ledger: Ledger;
  publisher: Publisher;
  logger: Logger;
  /** The service account the function runs as, for the ledger. */
  identity?: string | undefined;
  /** The clock for `createdAt`; tests fix it. */
  now?: () => Date;
}
