import { status } from "@grpc/grpc-js";
import { PubSubStatusError } from "./status-error.js";

/**
 * Decides whether `identity` (the identity of the per-identity port the call came in on, or null on the default
 * port) holds `permission` on `resource` (a full name: `projects/P/topics/T`, `projects/P/subscriptions/S`, or
 * `projects/P` for list calls). Returning false answers PERMISSION_DENIED.
 */
export type Authorize = (identity: string | null, permission: string, resource: string) => boolean;

/** The default hook: everyone may do everything, as with the emulator. */
export const allowAll: Authorize = () => true;

/** The Pub/Sub IAM permissions the server checks, by the names IAM uses. */
export const PubSubPermission = {
  topicsCreate: "pubsub.topics.create",
  topicsGet: "pubsub.topics.get",
  topicsUpdate: "pubsub.topics.update",
  topicsList: "pubsub.topics.list",
  topicsDelete: "pubsub.topics.delete",
  topicsPublish: "pubsub.topics.publish",
  topicsAttachSubscription: "pubsub.topics.attachSubscription",
  subscriptionsCreate: "pubsub.subscriptions.create",
  subscriptionsGet: "pubsub.subscriptions.get",
  subscriptionsUpdate: "pubsub.subscriptions.update",
  subscriptionsList: "pubsub.subscriptions.list",
  subscriptionsDelete: "pubsub.subscriptions.delete",
  subscriptionsConsume: "pubsub.subscriptions.consume",
} as const;

/** Throws PERMISSION_DENIED (worded like the real service) unless the caller holds `permission` on `resource`. */
export type Access = (permission: string, resource: string) => void;

/** The access check of one listener: `authorize` bound to the identity its port belongs to. */
export function accessFor(authorize: Authorize, identity: string | null): Access {
  return (permission, resource) => {
    if (authorize(identity, permission, resource)) return;
    throw new PubSubStatusError(
      status.PERMISSION_DENIED,
      `User not authorized to perform this action. (permission=${permission}, resource=${resource})`,
    );
  };
}
