import type { UntypedServiceImplementation } from "@grpc/grpc-js";
import { type Access, PubSubPermission as P } from "./authorize.js";
import type { PubSubLog } from "./log.js";
import { listResponse, updateMaskPaths } from "./paginate.js";
import type { IncomingMessage } from "./publish-request.js";
import type { ProtoObject } from "./resources.js";
import type { PubSubStore } from "./store.js";
import { unaryHandler } from "./unary-handler.js";

type Request = ProtoObject;

/**
 * google.pubsub.v1.Publisher over the store; methods left out answer UNIMPLEMENTED. `access` checks each call's
 * IAM permission first (default: allow).
 */
export function publisherService(
  store: PubSubStore,
  log: PubSubLog,
  access: Access = () => {},
): UntypedServiceImplementation {
  return {
    CreateTopic: unaryHandler("CreateTopic", log, (request: Request) => {
      access(P.topicsCreate, String(request.name));
      return store.createTopic(request);
    }),
    GetTopic: unaryHandler("GetTopic", log, (request: Request) => {
      access(P.topicsGet, String(request.topic));
      return store.getTopic(String(request.topic));
    }),
    UpdateTopic: unaryHandler("UpdateTopic", log, (request: Request) => {
      const topic = (request.topic ?? {}) as ProtoObject;
      access(P.topicsUpdate, String(topic.name));
      return store.updateTopic(topic, updateMaskPaths(request));
    }),
    ListTopics: unaryHandler("ListTopics", log, (request: Request) => {
      access(P.topicsList, String(request.project));
      return listResponse("topics", store.listTopics(String(request.project)), request);
    }),
    ListTopicSubscriptions: unaryHandler("ListTopicSubscriptions", log, (request: Request) => {
      access(P.topicsGet, String(request.topic));
      return listResponse("subscriptions", store.listTopicSubscriptions(String(request.topic)), request);
    }),
    DeleteTopic: unaryHandler("DeleteTopic", log, (request: Request) => {
      access(P.topicsDelete, String(request.topic));
      store.deleteTopic(String(request.topic));
      return {};
    }),
    Publish: unaryHandler("Publish", log, (request: Request) => {
      access(P.topicsPublish, String(request.topic));
      return {
        messageIds: store.publish(String(request.topic), (request.messages ?? []) as IncomingMessage[]),
      };
    }),
  };
}
