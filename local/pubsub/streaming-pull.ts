import { type ServerDuplexStream, status } from "@grpc/grpc-js";
import { PubSubPermission as P } from "./authorize.js";
import type { PubSubLog } from "./log.js";
import type { PullContext } from "./pull.js";
import { toReceivedMessage, validateDeadline } from "./received-message.js";
import type { ProtoObject } from "./resources.js";
import { invalidArgument, notFound, PubSubStatusError } from "./status-error.js";
import type { SubscriptionRecord } from "./store.js";
import type { Consumer } from "./subscription-dispatcher.js";
import { toStatus } from "./unary-handler.js";

// StreamingPull with max_outstanding_messages 0 means "no limit"; cap it anyway.
const unlimitedOutstanding = 10_000;

/**
 * One StreamingPull call: the first request names the subscription and opens a consumer on it;
 * every request (the first included) may ack and modify deadlines. The call ends when the client
 * half-closes or cancels, the subscription is deleted, or the server closes.
 */
export class StreamingPullSession {
  private sub: SubscriptionRecord | undefined;
  private consumer: Consumer | undefined;
  private ended = false;
  private leaseSeconds = 10;
  private maxOutstanding = unlimitedOutstanding;
  private outstanding = 0;
  private readonly onDelete = () => this.fail(notFound(this.sub?.config.name ?? ""), "stream-ended");
  private readonly onClose = () =>
    this.fail(
      new PubSubStatusError(status.UNAVAILABLE, "The local Pub/Sub server is shutting down."),
      "stream-ended",
    );

  constructor(
    private readonly context: PullContext & { log: PubSubLog },
    private readonly call: ServerDuplexStream<ProtoObject, ProtoObject>,
  ) {
    context.open.add(this.onClose);
    call.on("data", (request: ProtoObject) => {
      if (this.ended) return;
      try {
        if (!this.sub) this.first(request);
        this.apply(request);
      } catch (error) {
        this.fail(error);
      }
    });
    // The client half-closing means it is done; end our side too.
    call.on("end", () => {
      if (this.ended) return;
      this.cleanup();
      call.end();
    });
    call.on("cancelled", () => this.cleanup());
    call.on("error", () => this.cleanup());
  }

  private cleanup(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.sub && this.consumer) this.sub.dispatcher.removeConsumer(this.consumer);
    this.sub?.onDelete.delete(this.onDelete);
    this.context.open.delete(this.onClose);
  }

  private fail(error: unknown, event = "refused"): void {
    if (this.ended) return;
    const refusal = toStatus(error);
    this.context.log({
      event,
      method: "StreamingPull",
      code: status[refusal.code],
      details: refusal.details,
    });
    this.cleanup();
    this.call.emit("error", refusal);
  }

  private first(request: ProtoObject): void {
    this.context.access(P.subscriptionsConsume, String(request.subscription));
    const record = this.context.store.subscription(String(request.subscription));
    const deadline = Number(request.streamAckDeadlineSeconds ?? 0);
    if (!Number.isInteger(deadline) || deadline < 10 || deadline > 600) {
      throw invalidArgument(
        `Invalid stream_ack_deadline_seconds given: ${deadline}. It must be between 10 and 600 seconds.`,
      );
    }
    this.leaseSeconds = deadline;
    const requestedMax = Number(request.maxOutstandingMessages ?? 0);
    this.maxOutstanding = requestedMax > 0 ? requestedMax : unlimitedOutstanding;
    this.sub = record;
    this.consumer = {
      capacity: () => (this.ended ? 0 : this.maxOutstanding - this.outstanding),
      leaseMs: () => this.leaseSeconds * 1000,
      receive: (entries) => {
        this.outstanding += entries.length;
        this.call.write({
          receivedMessages: entries.map((e) => toReceivedMessage(e, record)),
          subscriptionProperties: {
            exactlyOnceDeliveryEnabled: record.resource.enableExactlyOnceDelivery === true,
            messageOrderingEnabled: record.config.enableMessageOrdering,
          },
        });
      },
      leaseEnded: () => {
        this.outstanding -= 1;
        record.dispatcher.schedule();
      },
    };
    record.onDelete.add(this.onDelete);
    record.dispatcher.addConsumer(this.consumer);
  }

  private apply(request: ProtoObject): void {
    const sub = this.sub;
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
      sub.queue.modifyDeadline([ackId], seconds, now);
    });
    const deadline = Number(request.streamAckDeadlineSeconds ?? 0);
    if (deadline >= 10 && deadline <= 600) this.leaseSeconds = deadline;
    sub.dispatcher.schedule();
  }
}
