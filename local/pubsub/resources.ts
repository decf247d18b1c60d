import { durationToMs, msToDuration, type ProtoSeconds } from "./proto-time.js";
import { deletedTopicName, parseSubscriptionName, parseTopicName } from "./resource-names.js";
import { invalidArgument, unimplemented } from "./status-error.js";
import type { SubscriptionConfig } from "./types.js";

/** A decoded proto message (proto-loader output, camelCase, defaults filled in). */
export type ProtoObject = Record<string, unknown>;

const defaultAckDeadlineSeconds = 10;
const defaultMaxDeliveryAttempts = 5;
const defaultMinimumBackoffMs = 10_000;
const defaultMaximumBackoffMs = 600_000;
const maxBackoffMs = 600_000;
const sevenDays = msToDuration(7 * 24 * 3600 * 1000);
const thirtyOneDays = msToDuration(31 * 24 * 3600 * 1000);

function record(value: unknown): ProtoObject | undefined {
  return value !== null && typeof value === "object" ? (value as ProtoObject) : undefined;
}

function text(value: unknown): string {
  return typeof value === "string" ? value : "";
}

/** The Topic resource the server stores and returns for a CreateTopic/UpdateTopic request. */
export function normalizeTopic(request: ProtoObject): ProtoObject {
  const name = text(request.name);
  parseTopicName(name);
  if (record(request.ingestionDataSourceSettings)) throw unimplemented("Topic ingestion");
  if (record(request.schemaSettings)?.schema) throw unimplemented("Topic schemas");
  // Input-only fields are not part of the stored resource.
  const { tags: _tags, ...rest } = request;
  return { ...rest, name, labels: record(request.labels) ?? {}, state: "ACTIVE" };
}

/**
 * Validates a Subscription as CreateSubscription/UpdateSubscription receives it and fills in the
 * service's defaults. Topic existence is the store's business, not this function's.
 */
export function normalizeSubscription(request: ProtoObject): {
  resource: ProtoObject;
  config: SubscriptionConfig;
} {
  const name = text(request.name);
  const { project, id } = parseSubscriptionName(name);
  const topic = text(request.topic);
  // A subscription whose topic was deleted keeps the placeholder name the real service gives it.
  if (topic !== deletedTopicName) parseTopicName(topic);

  const requestedDeadline = Number(request.ackDeadlineSeconds ?? 0);
  const ackDeadlineSeconds = requestedDeadline === 0 ? defaultAckDeadlineSeconds : requestedDeadline;
  if (!Number.isInteger(ackDeadlineSeconds) || ackDeadlineSeconds < 10 || ackDeadlineSeconds > 600) {
    throw invalidArgument(
      `Invalid ack deadline given: ${requestedDeadline}. The ack deadline must be between 10 and 600 seconds.`,
    );
  }

  if (text(request.filter) !== "") throw unimplemented("Subscription filters");
  for (const field of ["bigqueryConfig", "cloudStorageConfig", "bigtableConfig"] as const) {
    if (record(request[field])) throw unimplemented(`Subscriptions with ${field}`);
  }

  const pushConfig = record(request.pushConfig) ?? {};
  const pushEndpoint = text(pushConfig.pushEndpoint);
  if (pushEndpoint !== "") validatePushEndpoint(pushEndpoint);

  const deadLetter = deadLetterConfig(record(request.deadLetterPolicy));
  const retry = retryConfig(record(request.retryPolicy));

  const { tags: _tags, ...rest } = request;
  const resource: ProtoObject = {
    ...rest,
    name,
    topic,
    pushConfig,
    ackDeadlineSeconds,
    labels: record(request.labels) ?? {},
    messageRetentionDuration: record(request.messageRetentionDuration) ?? sevenDays,
    expirationPolicy: record(request.expirationPolicy) ?? { ttl: thirtyOneDays },
    deadLetterPolicy: deadLetter
      ? { deadLetterTopic: deadLetter.topic, maxDeliveryAttempts: deadLetter.maxDeliveryAttempts }
      : null,
    retryPolicy: retry
      ? {
          minimumBackoff: msToDuration(retry.minimumBackoffMs),
          maximumBackoff: msToDuration(retry.maximumBackoffMs),
        }
      : null,
    state: "ACTIVE",
  };
  const config: SubscriptionConfig = {
    name,
    project,
    id,
    topic,
    ackDeadlineMs: ackDeadlineSeconds * 1000,
    pushEndpoint: pushEndpoint === "" ? undefined : pushEndpoint,
    enableMessageOrdering: request.enableMessageOrdering === true,
    deadLetter,
    retry,
  };
  return { resource, config };
}

/** A subscription's dead-letter policy, checked; undefined when it names no topic. */
function deadLetterConfig(policy: ProtoObject | undefined): SubscriptionConfig["deadLetter"] {
  const deadLetterTopic = text(policy?.deadLetterTopic);
  if (deadLetterTopic === "") return undefined;
  parseTopicName(deadLetterTopic);
  const requested = Number(policy?.maxDeliveryAttempts ?? 0);
  // The real API accepts 5..100; smaller limits are allowed here so tests reach the dead-letter
  // topic in a few attempts.
  const maxDeliveryAttempts = requested === 0 ? defaultMaxDeliveryAttempts : requested;
  if (!Number.isInteger(maxDeliveryAttempts) || maxDeliveryAttempts < 1 || maxDeliveryAttempts > 100) {
    throw invalidArgument(
      `Invalid max_delivery_attempts given: ${requested}. It must be between 5 and 100 (1 to 100 locally).`,
    );
  }
  return { topic: deadLetterTopic, maxDeliveryAttempts };
}

/** A subscription's retry policy, checked, with the service's default backoffs; undefined when it has none. */
function retryConfig(policy: ProtoObject | undefined): SubscriptionConfig["retry"] {
  if (!policy) return undefined;
  const minimumBackoffMs =
    durationToMs(policy.minimumBackoff as ProtoSeconds | null) ?? defaultMinimumBackoffMs;
  const maximumBackoffMs =
    durationToMs(policy.maximumBackoff as ProtoSeconds | null) ?? defaultMaximumBackoffMs;
  if (minimumBackoffMs < 0 || maximumBackoffMs > maxBackoffMs || minimumBackoffMs > maximumBackoffMs) {
    throw invalidArgument(
      `Invalid retry_policy given: minimum_backoff ${minimumBackoffMs} ms and maximum_backoff ${maximumBackoffMs} ms must satisfy 0 <= minimum <= maximum <= 600 s.`,
    );
  }
  return { minimumBackoffMs, maximumBackoffMs };
}

/** INVALID_ARGUMENT unless `endpoint` is an absolute http(s) URL. */
export function validatePushEndpoint(endpoint: string): void {
  let url: URL | undefined;
  try {
    url = new URL(endpoint);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== "http:" && url.protocol !== "https:")) {
    throw invalidArgument(
      `Invalid push_endpoint given: (endpoint=${endpoint}). It must be an http or https URL.`,
    );
  }
}

/**
 * Applies an update mask (snake_case paths, as the client library sends them) to a stored resource:
 * each top-level field named in the mask is taken from `update`.
 */
export function applyUpdateMask(
  current: ProtoObject,
  update: ProtoObject,
  paths: readonly string[],
  immutable: readonly string[],
): ProtoObject {
  if (paths.length === 0) throw invalidArgument("The update_mask in the request is empty.");
  const next: ProtoObject = { ...current };
  for (const path of paths) {
    const field = (path.split(".")[0] ?? "").replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());
    if (field === "name" || immutable.includes(field)) {
      throw invalidArgument(`Invalid update_mask provided: the field "${path}" cannot be updated.`);
    }
    if (!(field in update)) throw invalidArgument(`Invalid update_mask provided: unknown field "${path}".`);
    next[field] = update[field];
  }
  return next;
}
