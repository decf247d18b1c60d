import type { ServerDuplexStream, UntypedServiceImplementation } from "@grpc/grpc-js";
import { type Access, PubSubPermission as P } from "./authorize.js";
import type { PubSubLog } from "./log.js";
import { listResponse, updateMaskPaths } from "./paginate.js";
import { pullHandler } from "./pull.js";
import { validateDeadline } from "./received-message.js";
import type { ProtoObject } from "./resources.js";
import { invalidArgument } from "./status-error.js";
import type { PubSubStore } from "./store.js";
import { StreamingPullSession } from "./streaming-pull.js";
import { unaryHandler } from "./unary-handler.js";

type Request = ProtoObject;

/** The subscriber side and a way to end its open calls when the server closes. */
export interface SubscriberService {
  implementation: UntypedServiceImplementation;
  closeAll(): void;
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
      const subscription = (request.subscription ?? {}) as ProtoObject;
      access(P.subscriptionsUpdate, String(subscription.name));
      return store.updateSubscription(subscription, updateMaskPaths(request));
    }),
    ListSubscriptions: unaryHandler("ListSubscriptions", log, (request: Request) => {
      access(P.subscriptionsList, String(request.project));
      return listResponse("subscriptions", store.listSubscriptions(String(request.project)), request);
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
    Pull: pullHandler({ store, access, open }, log),
    StreamingPull: (call: ServerDuplexStream<Request, ProtoObject>) =>
      new StreamingPullSession({ store, access, open, log }, call),
  };

  return {
    implementation,
    closeAll: () => {
      for (const close of [...open]) close();
    },
  };
}
