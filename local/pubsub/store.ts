import { deadLetterAttributes } from "./dead-letter.js";
import { DeliveryStats, type PubSubStats } from "./delivery-stats.js";
import type { HttpAgents } from "./http-post.js";
import type { PubSubLog } from "./log.js";
import { checkPublishRequest, type IncomingMessage } from "./publish-request.js";
import { PushDeliverer } from "./push-deliverer.js";
import {
  deletedTopicName,
  parseProjectName,
  parseSubscriptionName,
  parseTopicName,
} from "./resource-names.js";
import { applyUpdateMask, normalizeSubscription, normalizeTopic, type ProtoObject } from "./resources.js";
import { alreadyExists, notFound } from "./status-error.js";
import { SubscriptionDispatcher } from "./subscription-dispatcher.js";
import { type QueueEntry, SubscriptionQueue } from "./subscription-queue.js";
import type { PubSubFaults, StoredMessage, SubscriptionConfig } from "./types.js";

/** A live subscription: its resource, derived config, queue, dispatcher and (for push) deliverer. */
export interface SubscriptionRecord {
  resource: ProtoObject;
  config: SubscriptionConfig;
  readonly queue: SubscriptionQueue;
  readonly dispatcher: SubscriptionDispatcher;
  push: PushDeliverer | undefined;
  /** Called when the subscription is deleted (open streams end with NOT_FOUND). */
  readonly onDelete: Set<() => void>;
}

interface TopicRecord {
  resource: ProtoObject;
  readonly subscriptions: Set<string>;
}

/** What the store needs from the server around it. */
export interface StoreDeps {
  log: PubSubLog;
  faults: () => PubSubFaults;
  agents: HttpAgents;
  signal: AbortSignal;
}

/** All topics, subscriptions and messages, in memory. */
export class PubSubStore {
  readonly #topics = new Map<string, TopicRecord>();
  readonly #subscriptions = new Map<string, SubscriptionRecord>();
  readonly #deps: StoreDeps;
  readonly #idleWaiters: Array<() => void> = [];
  readonly #stats = new DeliveryStats();
  #subscriptionSeq = 0;
  // Ids start from the clock so a restarted local server never reuses ids that idempotency
  // records from an earlier run might still hold.
  #nextMessageId = BigInt(Date.now()) * 1000n;

  constructor(deps: StoreDeps) {
    this.#deps = deps;
  }

  createTopic(request: ProtoObject): ProtoObject {
    const resource = normalizeTopic(request);
    const name = resource.name as string;
    if (this.#topics.has(name)) throw alreadyExists(name);
    this.#topics.set(name, { resource, subscriptions: new Set() });
    return resource;
  }

  getTopic(name: string): ProtoObject {
    return this.#topic(name).resource;
  }

  updateTopic(update: ProtoObject, paths: readonly string[]): ProtoObject {
    const topic = this.#topic(typeof update.name === "string" ? update.name : "");
    topic.resource = normalizeTopic(applyUpdateMask(topic.resource, update, paths, []));
    return topic.resource;
  }

  listTopics(project: string): ProtoObject[] {
    const id = parseProjectName(project);
    return [...this.#topics.values()]
      .filter((t) => parseTopicName(t.resource.name as string).project === id)
      .map((t) => t.resource)
      .sort((a, b) => String(a.name).localeCompare(String(b.name)));
  }

  listTopicSubscriptions(topic: string): string[] {
    return [...this.#topic(topic).subscriptions].sort();
  }

  deleteTopic(name: string): void {
    const topic = this.#topic(name);
    this.#topics.delete(name);
    // Like the real service, subscriptions outlive their topic and show it as "_deleted-topic_".
    for (const subName of topic.subscriptions) {
      const sub = this.#subscriptions.get(subName);
      if (sub) this.#reconfigure(sub, { ...sub.resource, topic: deletedTopicName }, false);
    }
  }

  /** Publishes to a topic, fanning out to its subscriptions; returns the new message ids in order. */
  publish(topicName: string, messages: readonly IncomingMessage[]): string[] {
    const topic = this.#topic(topicName);
    checkPublishRequest(messages);
    return messages.map((message) => this.#append(topic, topicName, message));
  }

  createSubscription(request: ProtoObject): ProtoObject {
    const { resource, config } = normalizeSubscription(request);
    if (this.#subscriptions.has(config.name)) throw alreadyExists(config.name);
    const topic = this.#topic(config.topic);
    if (config.deadLetter) this.#topic(config.deadLetter.topic);

    this.#subscriptionSeq += 1;
    const record = {} as SubscriptionRecord;
    const queue = new SubscriptionQueue(
      () => record.config,
      (entry) => this.#deadLetter(record, entry),
      `${this.#subscriptionSeq}`,
    );
    Object.assign(record, {
      resource,
      config,
      queue,
      dispatcher: new SubscriptionDispatcher(queue, () => this.#checkIdle(), this.#deps.log),
      push: undefined,
      onDelete: new Set(),
    } satisfies SubscriptionRecord);
    this.#subscriptions.set(config.name, record);
    topic.subscriptions.add(config.name);
    this.#updatePush(record);
    return resource;
  }

  /** The live subscription, or NOT_FOUND. */
  subscription(name: string): SubscriptionRecord {
    parseSubscriptionName(name);
    const sub = this.#subscriptions.get(name);
    if (!sub) throw notFound(name);
    return sub;
  }

  updateSubscription(update: ProtoObject, paths: readonly string[]): ProtoObject {
    const sub = this.subscription(typeof update.name === "string" ? update.name : "");
    const next = applyUpdateMask(sub.resource, update, paths, ["topic", "enableMessageOrdering"]);
    return this.#reconfigure(sub, next);
  }

  modifyPushConfig(name: string, pushConfig: ProtoObject | null): void {
    const sub = this.subscription(name);
    this.#reconfigure(sub, { ...sub.resource, pushConfig: pushConfig ?? {} });
  }

  listSubscriptions(project: string): ProtoObject[] {
    const id = parseProjectName(project);
    return [...this.#subscriptions.values()]
      .filter((s) => s.config.project === id)
      .map((s) => s.resource)
      .sort((a, b) => String(a.name).localeCompare(String(b.name)));
  }

  deleteSubscription(name: string): void {
    const sub = this.subscription(name);
    this.#subscriptions.delete(name);
    this.#topics.get(sub.config.topic)?.subscriptions.delete(name);
    sub.dispatcher.close();
    sub.queue.clear();
    for (const listener of sub.onDelete) listener();
    this.#checkIdle();
  }

  stats(): PubSubStats {
    return this.#stats.snapshot();
  }

  /** Resolves once no push subscription has a message pending or in flight. */
  idle(): Promise<void> {
    if (this.#isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Stops every dispatcher and releases idle() waiters. */
  close(): void {
    for (const sub of this.#subscriptions.values()) sub.dispatcher.close();
    for (const resolve of this.#idleWaiters.splice(0)) resolve();
  }

  #topic(name: string): TopicRecord {
    parseTopicName(name);
    const topic = this.#topics.get(name);
    if (!topic) throw notFound(name);
    return topic;
  }

  #append(topic: TopicRecord, topicName: string, incoming: IncomingMessage): string {
    this.#nextMessageId += 1n;
    const message: StoredMessage = {
      messageId: this.#nextMessageId.toString(),
      topic: topicName,
      data: Buffer.from(incoming.data ?? Buffer.alloc(0)),
      attributes: { ...(incoming.attributes ?? {}) },
      orderingKey: incoming.orderingKey ?? "",
      publishTime: new Date(),
    };
    this.#stats.published += 1;
    const now = Date.now();
    for (const subName of topic.subscriptions) {
      const sub = this.#subscriptions.get(subName);
      if (!sub) continue;
      sub.queue.add(message, now);
      sub.dispatcher.schedule();
    }
    return message.messageId;
  }

  #reconfigure(sub: SubscriptionRecord, next: ProtoObject, checkDeadLetterTopic = true): ProtoObject {
    const { resource, config } = normalizeSubscription(next);
    if (config.deadLetter && checkDeadLetterTopic) this.#topic(config.deadLetter.topic);
    sub.resource = resource;
    sub.config = config;
    this.#updatePush(sub);
    sub.dispatcher.schedule();
    return resource;
  }

  #updatePush(sub: SubscriptionRecord): void {
    const wantsPush = sub.config.pushEndpoint !== undefined;
    if (wantsPush && !sub.push) {
      sub.push = new PushDeliverer({
        config: () => sub.config,
        queue: sub.queue,
        faults: this.#deps.faults,
        agents: this.#deps.agents,
        signal: this.#deps.signal,
        log: this.#deps.log,
        recordAttempt: (attempt) => this.#stats.recordAttempt(attempt),
        settled: () => {
          sub.dispatcher.schedule();
          this.#checkIdle();
        },
      });
      sub.dispatcher.addConsumer(sub.push);
    } else if (!wantsPush && sub.push) {
      sub.dispatcher.removeConsumer(sub.push);
      sub.push = undefined;
    }
  }

  #deadLetter(sub: SubscriptionRecord, entry: QueueEntry): void {
    const policy = sub.config.deadLetter;
    if (!policy) return;
    const { message } = entry;
    const attributes = deadLetterAttributes(sub.config, entry);
    const topic = this.#topics.get(policy.topic);
    const deadLetterMessageId = topic
      ? this.#append(topic, policy.topic, { data: message.data, attributes })
      : undefined;
    this.#stats.deadLettered.push({
      subscription: sub.config.name,
      messageId: message.messageId,
      deadLetterTopic: policy.topic,
      deadLetterMessageId,
      deliveryAttempts: entry.attempts,
      reason: entry.lastFailure,
    });
    this.#deps.log({
      event: topic ? "dead-lettered" : "dead-letter-topic-missing",
      subscription: sub.config.name,
      messageId: message.messageId,
      deadLetterTopic: policy.topic,
      deliveryAttempts: entry.attempts,
      reason: entry.lastFailure,
    });
  }

  #isIdle(): boolean {
    for (const sub of this.#subscriptions.values()) {
      if (sub.push && (sub.queue.size > 0 || sub.push.inFlight > 0)) return false;
    }
    return true;
  }

  #checkIdle(): void {
    if (this.#idleWaiters.length === 0 || !this.#isIdle()) return;
    for (const resolve of this.#idleWaiters.splice(0)) resolve();
  }
}
