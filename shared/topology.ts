/**
 * The one definition of modelgate's message topology: topics, which function consumes each, and the
 * delivery policy. Infrastructure, the local stack and the functions all read it from here.
 */
export const Topic = {
  trainingRequested: "training-requested",
  artifactReady: "artifact-ready",
  deploymentRequested: "deployment-requested",
  deploymentReady: "deployment-ready",
  verificationCompleted: "verification-completed",
} as const;
export type TopicName = (typeof Topic)[keyof typeof Topic];

export const topicNames: readonly TopicName[] = Object.values(Topic);

/** Functions Framework target names. */
export const FunctionName = {
  githubWebhook: "githubWebhook",
  tektonEvents: "tektonEvents",
  artifactUploaded: "artifactUploaded",
  launchTraining: "launchTraining",
  registerModel: "registerModel",
  deployModel: "deployModel",
  verifyDeployment: "verifyDeployment",
  rolloutModel: "rolloutModel",
} as const;
export type FunctionName = (typeof FunctionName)[keyof typeof FunctionName];

export const functionNames: readonly FunctionName[] = Object.values(FunctionName);

/** Which Pub/Sub-triggered function consumes which topic. */
export const consumerOf = {
  [Topic.trainingRequested]: FunctionName.launchTraining,
  [Topic.artifactReady]: FunctionName.registerModel,
  [Topic.deploymentRequested]: FunctionName.deployModel,
  [Topic.deploymentReady]: FunctionName.verifyDeployment,
  [Topic.verificationCompleted]: FunctionName.rolloutModel,
} as const satisfies Record<TopicName, FunctionName>;

/** The dead-letter topic that receives a topic's messages after the delivery limit. */
export function deadLetterTopic(topic: TopicName): string {
  return `${topic}-dead-letter`;
}

/** The push subscription that triggers the topic's consumer. */
export function subscriptionFor(topic: TopicName): string {
  return `${consumerOf[topic]}-${topic}`;
}

/** The subscription that holds a dead-letter topic's messages until `modelgate replay` moves them back. */
export function deadLetterSubscriptionFor(topic: TopicName): string {
  return `${deadLetterTopic(topic)}-hold`;
}

/**
 * Delivery policy for every trigger subscription. deployModel waits for a version that is not registered yet by
 * retrying, so the limit and backoff bound how long a promotion may precede its registration (about 30 minutes).
 */
export const deliveryPolicy = {
  maxDeliveryAttempts: 15,
  minimumBackoffSeconds: 10,
  maximumBackoffSeconds: 600,
  ackDeadlineSeconds: 600,
} as const;

/** A function's folder under functions/ and its Cloud Functions name: `githubWebhook` → `github-webhook`. */
export function functionFolder(name: FunctionName): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** Who may reach a function over the network. */
export const Ingress = {
  /** From the internet: GitHub delivers webhooks from its own addresses. */
  public: "public",
  /** Only from Google's event delivery (Pub/Sub push, Eventarc) and VPC networks the platform counts as internal. */
  internal: "internal",
} as const;
export type Ingress = (typeof Ingress)[keyof typeof Ingress];

/**
 * Each function's ingress. Only githubWebhook is public; tektonEvents is reached from the cluster through the
 * forwarder (docs/tekton-sink-auth.md), and the event-driven functions only by their triggers.
 */
export const ingressOf = {
  githubWebhook: Ingress.public,
  tektonEvents: Ingress.internal,
  artifactUploaded: Ingress.internal,
  launchTraining: Ingress.internal,
  registerModel: Ingress.internal,
  deployModel: Ingress.internal,
  verifyDeployment: Ingress.internal,
  rolloutModel: Ingress.internal,
} as const satisfies Record<FunctionName, Ingress>;
