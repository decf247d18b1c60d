import { refuse } from "../../shared/ingress/early-answer.js";
import { requireBodyWithin, requireJsonBody, requireMediaType } from "../../shared/ingress/guards.js";
import { headerValue, type IngressRequest } from "../../shared/ingress/http.js";
import type { StageLog } from "../../shared/ingress/pipeline.js";
import { issuesToText } from "../../shared/zod-issues.js";
import { AnyEventPayload, PushPayload } from "./payloads.js";
import { githubMaxPayloadBytes } from "./settings.js";

// X-GitHub-Delivery is a GUID (36 characters); bounded so it fits the correlation id, the claim key and a log line.
const deliveryIdPattern = /^[A-Za-z0-9-]{1,64}$/;
// X-GitHub-Event names are lowercase words joined by underscores (push, ping, pull_request_review_comment…).
const eventNamePattern = /^[a-z][a-z_]{0,63}$/;

/** One authenticated GitHub delivery from an allowed repository (or none), parsed. */
export interface Delivery {
  event: string;
  delivery: string;
  sender: string | undefined;
  repository: string | undefined;
  payload: unknown;
  /** The push, when `event` is push. */
  push: PushPayload | undefined;
}

/** The checks before the signature: JSON, within GitHub's size, with a delivery id and an event name. */
export function guardDelivery(request: IngressRequest, log: StageLog): void {
  requireMediaType(
    request,
    ["application/json"],
    (type) =>
      `content type ${type} is not application/json; set the webhook's content type to application/json`,
  );
  requireBodyWithin(request, githubMaxPayloadBytes, `GitHub payloads are at most ${githubMaxPayloadBytes}`);
  const { delivery, event } = deliveryHeaders(request);
  const missing = [...(event ? [] : ["X-GitHub-Event"]), ...(delivery ? [] : ["X-GitHub-Delivery"])];
  if (missing.length > 0) {
    throw refuse(400, `missing the ${missing.join(" and ")} header${missing.length > 1 ? "s" : ""}`);
  }
  if (!deliveryIdPattern.test(delivery ?? "")) throw refuse(400, "X-GitHub-Delivery is not a delivery GUID");
  if (!eventNamePattern.test(event ?? "")) throw refuse(400, "X-GitHub-Event is not a GitHub event name");
  log.add({ deliveryId: delivery, githubEvent: event });
}

/** Parses an authenticated delivery; a repository outside github.repositories is refused (403). */
export function parseDelivery(request: IngressRequest, allowed: ReadonlySet<string>): Delivery {
  const { delivery = "", event = "" } = deliveryHeaders(request);
  const payload = requireJsonBody(request);
  const common = AnyEventPayload.safeParse(payload);
  if (!common.success || typeof payload !== "object" || payload === null || Array.isArray(payload)) {
    const detail = common.success ? "" : `: ${issuesToText(common.error)}`;
    throw refuse(400, `the payload is not a GitHub event object${detail}`);
  }
  const repository = common.data.repository?.full_name;
  if (repository !== undefined && !allowed.has(repository.toLowerCase())) {
    throw refuse(403, `repository ${repository} is not allowed to trigger work (github.repositories)`, {
      repository,
    });
  }
  let push: PushPayload | undefined;
  if (event === "push") {
    const parsed = PushPayload.safeParse(payload);
    if (!parsed.success) throw refuse(400, `the push payload is malformed: ${issuesToText(parsed.error)}`);
    push = parsed.data;
  }
  return { event, delivery, sender: common.data.sender?.login, repository, payload, push };
}

function deliveryHeaders(request: IngressRequest): { delivery?: string; event?: string } {
  const delivery = headerValue(request.headers, "x-github-delivery");
  const event = headerValue(request.headers, "x-github-event");
  return {
    ...(delivery === undefined ? {} : { delivery }),
    ...(event === undefined ? {} : { event }),
  };
}
