import type { UntypedServiceImplementation } from "@grpc/grpc-js";
import type { PubSubLog } from "./log.js";
import { paginate } from "./paginate.js";
import type { ProtoObject } from "./resources.js";
import type { IncomingMessage, PubSubStore } from "./store.js";
import { unaryHandler } from "./unary-handler.js";

type Request = ProtoObject;

function paths(request: Request): string[] {
  const mask = request.updateMask as { paths?: string[] } | null | undefined;
  return mask?.paths ?? [];
}

/** google.pubsub.v1.Publisher over the store; methods left out answer UNIMPLEMENTED. */
export function publisherService(store: PubSubStore, log: PubSubLog): UntypedServiceImplementation {
  return {
    CreateTopic: unaryHandler("CreateTopic", log, (request: Request) => store.createTopic(request)),
    GetTopic: unaryHandler("GetTopic", log, (request: Request) => store.getTopic(String(request.topic))),
    UpdateTopic: unaryHandler("UpdateTopic", log, (request: Request) =>
      store.updateTopic((request.topic ?? {}) as ProtoObject, paths(request)),
    ),
    ListTopics: unaryHandler("ListTopics", log, (request: Request) => {
      const page = paginate(store.listTopics(String(request.project)), request);
      return { topics: page.items, nextPageToken: page.nextPageToken };
    }),
    ListTopicSubscriptions: unaryHandler("ListTopicSubscriptions", log, (request: Request) => {
      const page = paginate(store.listTopicSubscriptions(String(request.topic)), request);
      return { subscriptions: page.items, nextPageToken: page.nextPageToken };
    }),
    DeleteTopic: unaryHandler("DeleteTopic", log, (request: Request) => {
      store.deleteTopic(String(request.topic));
      return {};
    }),
    Publish: unaryHandler("Publish", log, (request: Request) => ({
      messageIds: store.publish(String(request.topic), (request.messages ?? []) as IncomingMessage[]),
    })),
  };
}
