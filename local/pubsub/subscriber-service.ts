import {
  type ServerDuplexStream,
  type ServerUnaryCall,
  type sendUnaryData,
  status,
  type UntypedServiceImplementation,
} from "@grpc/grpc-js";
import { type Access, PubSubPermission as P } from "./authorize.js";
import type { PubSubLog } from "./log.js";
import { paginate } from "./paginate.js";
import { dateToTimestamp } from "./proto-time.js";
import type { ProtoObject } from "./resources.js";
import { invalidArgument, notFound, PubSubStatusError } from "./status-error.js";
import type { PubSubStore, SubscriptionRecord } from "./store.js";
import type { Consumer } from "./subscription-dispatcher.js";
import type { QueueEntry } from "./subscription-queue.js";
import { toStatus, unaryHandler } from "./unary-handler.js";

type Request = ProtoObject;

/**
 * How long a Pull without return_immediately waits for a message. The real service holds the
 * call for a while too; a short hold keeps polling loops cheap without slowing tests that expect
 * an empty answer.
 */
export const pullWaitMs = 1000;

// StreamingPull with max_outstanding_messages 0 means "no limit"; cap it anyway.
const unlimitedOutstanding = 10_000;

/** The subscriber side and a way to end its open calls when the server closes. */
export interface SubscriberService {
  implementation: UntypedServiceImplementation;
  closeAll(): void;
}

function toReceivedMessage(entry: QueueEntry, sub: SubscriptionRecord): ProtoObject {
  const { message } = entry;
  return {
    ackId: entry.lease?.ackId ?? "",
    message: {
      data: message.data,
      attributes: message.attributes,
      messageId: message.messageId,
      publishTime: dateToTimestamp(message.publishTime),
      orderingKey: message.orderingKey,
    },
    // Like the real service, the attempt count is only reported with a dead-letter policy.
    deliveryAttempt: sub.config.deadLetter ? entry.attempts : 0,
  };
}

function validateDeadline(seconds: number, field: string): void {
  if (!Number.isInteger(seconds) || seconds < 0 || seconds > 600) {
    throw invalidArgument(`Invalid ${field} given: ${seconds}. It must be between 0 and 600 seconds.`);
  }
}

function requireAckIds(ackIds: unknown): string[] {
  const ids = Array.isArray(ackIds) ? ackIds.map(String) : [];
  if (ids.length === 0) throw invalidArgument("No ack ids specified.");
  return ids;
}

/** The project part (`projects/P`) of a resource name. */
function projectOf(name: string): string {
  return /^projects\/[^/]+/.exec(name)?.[0] ?? name;
}

/**
 * google.pubsub.v1.Subscriber over the store; methods left out answer UNIMPLEMENTED. `access` checks each call's
 * IAM permission first (default: allow).
 */
export function subscriberService(
  store: PubSubStore,
  log: PubSubLog,
  access: Access = () => {},
): SubscriberService {
  const open = new Set<() => void>();

  /** Starts a Pull; returns a function that abandons it (the client cancelled). */
  function pull(
    request: Request,
    respond: (error: PubSubStatusError | null, messages: ProtoObject[]) => void,
  ): () => void {
    access(P.subscriptionsConsume, String(request.subscription));
    const sub = store.subscription(String(request.subscription));
    const maxMessages = Number(request.maxMessages ?? 0);
    if (!Number.isInteger(maxMessages) || maxMessages < 1) {
      throw invalidArgument(
        `The value for max_messages is too small. You passed ${maxMessages} in the request, but the minimum value is 1.`,
      );
    }
    let done = false;
    const finish = (messages: ProtoObject[], error: PubSubStatusError | null = null) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sub.dispatcher.removeConsumer(waiter);
      sub.onDelete.delete(onDelete);
      open.delete(onClose);
      respond(error, messages);
    };
    const waiter: Consumer = {
      capacity: () => (done ? 0 : maxMessages),
      leaseMs: () => sub.config.ackDeadlineMs,
      receive: (entries) => finish(entries.map((e) => toReceivedMessage(e, sub))),
    };
    const onDelete = () => finish([], notFound(sub.config.name));
    const onClose = () => finish([]);
    const timer = setTimeout(() => finish([]), request.returnImmediately === true ? 0 : pullWaitMs);
    sub.onDelete.add(onDelete);
    open.add(onClose);
    sub.dispatcher.addConsumer(waiter);
    return () => {
      done = true;
      clearTimeout(timer);
      sub.dispatcher.removeConsumer(waiter);
      sub.onDelete.delete(onDelete);
      open.delete(onClose);
    };
  }

  function streamingPull(call: ServerDuplexStream<Request, ProtoObject>): void {
    let sub: SubscriptionRecord | undefined;
    let consumer: Consumer | undefined;
    let ended = false;
    let leaseSeconds = 10;
    let maxOutstanding = unlimitedOutstanding;
    let outstanding = 0;

    const cleanup = () => {
      if (ended) return;
      ended = true;
      if (sub && consumer) sub.dispatcher.removeConsumer(consumer);
      sub?.onDelete.delete(onDelete);
      open.delete(onClose);
    };
    const fail = (error: unknown, event = "refused") => {
      if (ended) return;
      const refusal = toStatus(error);
      log({
        event,
        method: "StreamingPull",
        code: status[refusal.code],
        details: refusal.details,
      });
      cleanup();
      call.emit("error", refusal);
    };
    const onDelete = () => fail(notFound(sub?.config.name ?? ""), "stream-ended");
    const onClose = () =>
      fail(
        new PubSubStatusError(status.UNAVAILABLE, "The local Pub/Sub server is shutting down."),
        "stream-ended",
      );

    const first = (request: Request) => {
      access(P.subscriptionsConsume, String(request.subscription));
      const record = store.subscription(String(request.subscription));
      const deadline = Number(request.streamAckDeadlineSeconds ?? 0);
      if (!Number.isInteger(deadline) || deadline < 10 || deadline > 600) {
        throw invalidArgument(
          `Invalid stream_ack_deadline_seconds given: ${deadline}. It must be between 10 and 600 seconds.`,
        );
      }
      leaseSeconds = deadline;
      const requestedMax = Number(request.maxOutstandingMessages ?? 0);
      maxOutstanding = requestedMax > 0 ? requestedMax : unlimitedOutstanding;
      sub = record;
      const target = record;
      consumer = {
        capacity: () => (ended ? 0 : maxOutstanding - outstanding),
        leaseMs: () => leaseSeconds * 1000,
        receive: (entries) => {
          outstanding += entries.length;
          call.write({
            receivedMessages: entries.map((e) => toReceivedMessage(e, target)),
            subscriptionProperties: {
              exactlyOnceDeliveryEnabled: target.resource.enableExactlyOnceDelivery === true,
              messageOrderingEnabled: target.config.enableMessageOrdering,
            },
          });
        },
        leaseEnded: () => {
          outstanding -= 1;
          target.dispatcher.schedule();
        },
      };
      record.onDelete.add(onDelete);
      record.dispatcher.addConsumer(consumer);
    };

    const apply = (request: Request) => {
      if (!sub) return;
      const now = Date.now();
      const ackIds = Array.isArray(request.ackIds) ? request.ackIds.map(String) : [];
      if (ackIds.length > 0) sub.queue.ack(ackIds);
      const modIds = Array.isArray(request.modifyDeadlineAckIds)
        ? request.modifyDeadlineAckIds.map(String)
        : [];
      const modSeconds = Array.isArray(request.modifyDeadlineSeconds)
        ? request.modifyDeadlineSeconds.map(Number)
        : [];
      if (modIds.length !== modSeconds.length) {
        throw invalidArgument(
          "modify_deadline_seconds and modify_deadline_ack_ids must be the same length in a StreamingPullRequest.",
        );
      }
      modIds.forEach((ackId, i) => {
        const seconds = modSeconds[i] ?? 0;
        validateDeadline(seconds, "modify_deadline_seconds");
        sub?.queue.modifyDeadline([ackId], seconds, now);
      });
      const deadline = Number(request.streamAckDeadlineSeconds ?? 0);
      if (deadline >= 10 && deadline <= 600) leaseSeconds = deadline;
      sub.dispatcher.schedule();
    };

    open.add(onClose);
    call.on("data", (request: Request) => {
      if (ended) return;
      try {
        if (!sub) first(request);
        apply(request);
      } catch (error) {
        fail(error);
      }
    });
    // The client half-closing means it is done; end our side too.
    call.on("end", () => {
      if (ended) return;
      cleanup();
      call.end();
    });
    call.on("cancelled", cleanup);
    call.on("error", cleanup);
  }

  const implementation: UntypedServiceImplementation = {
    CreateSubscription: unaryHandler("CreateSubscription", log, (request: Request) => {
      access(P.subscriptionsCreate, projectOf(String(request.name)));
      access(P.topicsAttachSubscription, String(request.topic));
      return store.createSubscription(request);
    }),
    GetSubscription: unaryHandler("GetSubscription", log, (request: Request) => {
      access(P.subscriptionsGet, String(request.subscription));
      return store.subscription(String(request.subscription)).resource;
    }),
    UpdateSubscription: unaryHandler("UpdateSubscription", log, (request: Request) => {
      const mask = request.updateMask as { paths?: string[] } | null | undefined;
      const subscription = (request.subscription ?? {}) as ProtoObject;
      access(P.subscriptionsUpdate, String(subscription.name));
      return store.updateSubscription(subscription, mask?.paths ?? []);
    }),
    ListSubscriptions: unaryHandler("ListSubscriptions", log, (request: Request) => {
      access(P.subscriptionsList, String(request.project));
      const page = paginate(store.listSubscriptions(String(request.project)), request);
      return { subscriptions: page.items, nextPageToken: page.nextPageToken };
    }),
    DeleteSubscription: unaryHandler("DeleteSubscription", log, (request: Request) => {
      access(P.subscriptionsDelete, String(request.subscription));
      store.deleteSubscription(String(request.subscription));
      return {};
    }),
    ModifyPushConfig: unaryHandler("ModifyPushConfig", log, (request: Request) => {
      access(P.subscriptionsUpdate, String(request.subscription));
      store.modifyPushConfig(
        String(request.subscription),
        (request.pushConfig ?? null) as ProtoObject | null,
      );
      return {};
    }),
    Acknowledge: unaryHandler("Acknowledge", log, (request: Request) => {
      access(P.subscriptionsConsume, String(request.subscription));
      const sub = store.subscription(String(request.subscription));
      sub.queue.ack(requireAckIds(request.ackIds));
      sub.dispatcher.schedule();
      return {};
    }),
    ModifyAckDeadline: unaryHandler("ModifyAckDeadline", log, (request: Request) => {
      access(P.subscriptionsConsume, String(request.subscription));
      const sub = store.subscription(String(request.subscription));
      const seconds = Number(request.ackDeadlineSeconds ?? 0);
      validateDeadline(seconds, "ack_deadline_seconds");
      sub.queue.modifyDeadline(requireAckIds(request.ackIds), seconds, Date.now());
      sub.dispatcher.schedule();
      return {};
    }),
    Pull: (call: ServerUnaryCall<Request, ProtoObject>, callback: sendUnaryData<ProtoObject>) => {
      try {
        const abandon = pull(call.request as Request, (error, receivedMessages) => {
          if (error) callback(toStatus(error));
          else callback(null, { receivedMessages });
        });
        call.on("cancelled", abandon);
      } catch (error) {
        const refusal = toStatus(error);
        log({ event: "refused", method: "Pull", code: status[refusal.code], details: refusal.details });
        callback(refusal);
      }
    },
    StreamingPull: streamingPull,
  };

  return {
    implementation,
    closeAll: () => {
      for (const close of [...open]) close();
    },
  };
}
