import { type ServerUnaryCall, type sendUnaryData, status } from "@grpc/grpc-js";
import { type Access, PubSubPermission as P } from "./authorize.js";
import type { PubSubLog } from "./log.js";
import { toReceivedMessage } from "./received-message.js";
import type { ProtoObject } from "./resources.js";
import { invalidArgument, notFound, type PubSubStatusError } from "./status-error.js";
import type { PubSubStore } from "./store.js";
import type { Consumer } from "./subscription-dispatcher.js";
import { toStatus } from "./unary-handler.js";

/**
 * How long a Pull without return_immediately waits for a message. The real service holds the
 * call for a while too; a short hold keeps polling loops cheap without slowing tests that expect
 * an empty answer.
 */
export const pullWaitMs = 1000;

/** What a pull needs from the subscriber service: the store, the IAM check, and the set of open calls to end on close. */
export interface PullContext {
  store: PubSubStore;
  access: Access;
  /** Each open call's "the server is closing" callback. */
  open: Set<() => void>;
}

/** Starts a Pull (the unary one); returns a function that abandons it (the client cancelled). */
export function startPull(
  context: PullContext,
  request: ProtoObject,
  respond: (error: PubSubStatusError | null, messages: ProtoObject[]) => void,
): () => void {
  const { store, access, open } = context;
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

/** The grpc-js handler of Subscriber.Pull: answers when messages arrive, the wait ends, or the call is refused. */
export function pullHandler(
  context: PullContext,
  log: PubSubLog,
): (call: ServerUnaryCall<ProtoObject, ProtoObject>, callback: sendUnaryData<ProtoObject>) => void {
  return (call, callback) => {
    try {
      const abandon = startPull(context, call.request, (error, receivedMessages) => {
        if (error) callback(toStatus(error));
        else callback(null, { receivedMessages });
      });
      call.on("cancelled", abandon);
    } catch (error) {
      const refusal = toStatus(error);
      log({ event: "refused", method: "Pull", code: status[refusal.code], details: refusal.details });
      callback(refusal);
    }
  };
}
