/**
 * The one definition of modelgate's topology: topics, the delivery policy, and each function declared whole
 * (trigger, invoker, ingress, secrets, memory). Terraform (through scripts/generate-infra-data.ts), the
 * infrastructure check, the local stack, `npm start` and the CLI all read it from here; each function runs as the
 * identity of its own name (shared/permissions.ts). Adding a function is one entry in `functions` plus its folder.
 */
import type { InstanceMemory } from "./function-runtime.js";

export const Topic = {
  trainingRequested: "training-requested",
  artifactReady: "artifact-ready",
  deploymentRequested: "deployment-requested",
  deploymentReady: "deployment-ready",
  verificationCompleted: "verification-completed",
  /** A repository commit whose releases file is to be applied (issue #16). */
  releasesRequested: "releases-requested",
  /** Compare every endpoint with its applied release (Cloud Scheduler, `modelgate reconcile`, `npm start`). */
  reconcileRequested: "reconcile-requested",
  /** Something to tell GitHub (a commit status), for the one function that holds the App key to say it. */
  githubNotifications: "github-notifications",
} as const;
export type TopicName = (typeof Topic)[keyof typeof Topic];

export const topicNames: readonly TopicName[] = Object.values(Topic);

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
 * Who may invoke a function (Cloud Run's run.invoker): `public`, anyone (Terraform's webhook_invoker_members,
 * allUsers by default; the function authenticates each request itself); `forwarder`, only the in-cluster
 * forwarder's account (docs/tekton-sink-auth.md); `tasks`, only the OIDC identity of the rollout queue's tasks
 * (docs/rollout-steps.md); `trigger`, only its own trigger account (its push subscription's, or Eventarc's for a
 * bucket event); `signed`, anyone who reaches its (internal) ingress (Terraform's signed_invoker_members, allUsers
 * by default): a sender inside the VPC that cannot present a Google identity but signs every body, which the
 * function verifies (fluxEvents; docs/decisions.md).
 */
export type Invoker = "public" | "forwarder" | "tasks" | "signed" | "trigger";

/** How a function is invoked: an HTTP request (and by whom), a bucket finalize event, or its topic's push. */
export type Trigger =
  | { kind: "http"; invoker: Exclude<Invoker, "trigger"> }
  | { kind: "storage" }
  | { kind: "pubsub"; topic: TopicName };

/** Secrets in Secret Manager, each mounted into the functions that declare it and read through `<env>_FILE`. */
export const Secret = {
  githubWebhookSecret: { secretId: "modelgate-github-webhook-secret", env: "GITHUB_WEBHOOK_SECRET" },
  tektonSinkToken: { secretId: "modelgate-tekton-sink-token", env: "TEKTON_SINK_TOKEN" },
  /** The HMAC key of Flux's generic-hmac Provider (infra/flux/). */
  fluxWebhookSecret: { secretId: "modelgate-flux-webhook-secret", env: "FLUX_WEBHOOK_SECRET" },
  /** The GitHub App's private key (PEM): only the functions that call GitHub mount it (docs/decisions.md). */
  githubAppKey: { secretId: "modelgate-github-app-key", env: "GITHUB_APP_PRIVATE_KEY" },
} as const;
export type Secret = (typeof Secret)[keyof typeof Secret];

/** One function, whole: everything outside its code that Terraform and the local stack need. */
export interface FunctionDeclaration {
  /** What it is for, as `npm start` lists it. */
  summary: string;
  trigger: Trigger;
  ingress: Ingress;
  secrets: readonly Secret[];
  /** Instance memory (Terraform's default; `function_settings` may override it per function). */
  memory: InstanceMemory;
  /** V8 flags beyond the heap Node derives from the memory (shared/function-runtime.ts); "" for none. */
  nodeOptions: string;
  /**
   * The longest a request may run (Cloud Run's request timeout; `function_settings` may override it). An ingress
   * function answers within seconds (GitHub gives up at 10 s), so a sender that trickles its body is cut off after
   * a minute instead of holding one of the few instances for nine.
   */
  timeoutSeconds: number;
}

/** What a function gets unless its entry says otherwise: internal ingress, no secrets, 512 MiB, no V8 flags. */
const defaults = {
  ingress: Ingress.internal,
  secrets: [],
  memory: "512M",
  nodeOptions: "",
  timeoutSeconds: 540,
} as const;

/** An HTTP ingress function's request timeout: far above an honest delivery's seconds, far below the default. */
const ingressTimeoutSeconds = 60;

/** A function triggered by its topic's push subscription. */
function pubsubStep(topic: TopicName, summary: string, nodeOptions = ""): FunctionDeclaration {
  return { ...defaults, summary, trigger: { kind: "pubsub", topic }, nodeOptions };
}

/**
 * Every function. Only githubWebhook is public; tektonEvents is reached from the cluster through the forwarder
 * (docs/tekton-sink-auth.md), fluxEvents from the cluster's notification-controller (internal ingress, signed
 * bodies; docs/flux.md), and the event-driven functions only by their triggers.
 */
export const functions = {
  githubWebhook: {
    ...defaults,
    summary: "GitHub push and tag deliveries",
    trigger: { kind: "http", invoker: "public" },
    ingress: Ingress.public,
    secrets: [Secret.githubWebhookSecret],
    timeoutSeconds: ingressTimeoutSeconds,
  },
  tektonEvents: {
    ...defaults,
    summary: "Tekton CloudEvents sink",
    trigger: { kind: "http", invoker: "forwarder" },
    secrets: [Secret.tektonSinkToken],
    timeoutSeconds: ingressTimeoutSeconds,
  },
  fluxEvents: {
    ...defaults,
    summary: "Flux notification-controller events (generic-hmac)",
    trigger: { kind: "http", invoker: "signed" },
    secrets: [Secret.fluxWebhookSecret],
    timeoutSeconds: ingressTimeoutSeconds,
  },
  artifactUploaded: {
    ...defaults,
    summary: "a trained model's files landed in the bucket",
    trigger: { kind: "storage" },
  },
  launchTraining: pubsubStep(Topic.trainingRequested, "starts a Vertex AI training job"),
  registerModel: pubsubStep(Topic.artifactReady, "registers the trained model"),
  deployModel: pubsubStep(Topic.deploymentRequested, "deploys a registered version as a canary"),
  // It allocates a few short-lived objects per golden row (the JSON line, its protobuf Values, the encoded
  // request, the decoded response); in 1 MiB semi-spaces those scavenges took 37 % of its CPU and promoted the
  // rest to the old generation, so it runs with 16 MiB ones (48 MiB more at most, well inside 512 MiB;
  // docs/performance.md, "Verification memory").
  verifyDeployment: pubsubStep(
    Topic.deploymentReady,
    "scores the canary against the golden set",
    "--max-semi-space-size=16",
  ),
  rolloutModel: pubsubStep(Topic.verificationCompleted, "promotes or rolls back the canary"),
  advanceRollout: {
    ...defaults,
    summary: "a rollout step's bake is over: hand the step to verification (Cloud Tasks)",
    trigger: { kind: "http", invoker: "tasks" },
    timeoutSeconds: ingressTimeoutSeconds,
  },
  applyReleases: {
    ...pubsubStep(Topic.releasesRequested, "applies a commit's releases file"),
    secrets: [Secret.githubAppKey],
  },
  reconcileEndpoints: pubsubStep(
    Topic.reconcileRequested,
    "compares endpoints with their applied releases; reports or repairs drift",
  ),
  // Steps without the App key (rolloutModel) reach GitHub through it.
  notifyGithub: {
    ...pubsubStep(Topic.githubNotifications, "writes commit statuses and deployment statuses to GitHub"),
    secrets: [Secret.githubAppKey],
  },
} as const satisfies Record<string, FunctionDeclaration>;

/**
 * The Cloud Tasks queue rolloutModel schedules a step's verification on after its bake (docs/rollout-steps.md).
 * A task that keeps failing is retried with backoff up to `maxAttempts`, then dropped; every attempt is in the log.
 */
export const rolloutQueue = {
  id: "modelgate-rollout-steps",
  maxAttempts: 20,
  minBackoffSeconds: 10,
  maxBackoffSeconds: 600,
} as const;

/** Functions Framework target names: the declarations' keys. */
export type FunctionName = keyof typeof functions;
export const functionNames = Object.keys(functions) as readonly FunctionName[];
/** Each name as a constant (`FunctionName.githubWebhook`), for code that names one function. */
export const FunctionName = Object.fromEntries(functionNames.map((name) => [name, name])) as {
  readonly [N in FunctionName]: N;
};

/** Who may invoke `name`: its HTTP trigger's invoker, else its trigger account. */
export function invokerOf(name: FunctionName): Invoker {
  const trigger: Trigger = functions[name].trigger;
  return trigger.kind === "http" ? trigger.invoker : "trigger";
}

/** The functions an HTTP request reaches (and whose URLs `npm start` prints). */
export const httpFunctionNames: readonly FunctionName[] = functionNames.filter(
  (name) => functions[name].trigger.kind === "http",
);

function consumersOf(): Record<TopicName, FunctionName> {
  const consumers: Partial<Record<TopicName, FunctionName>> = {};
  for (const name of functionNames) {
    const trigger: Trigger = functions[name].trigger;
    if (trigger.kind !== "pubsub") continue;
    if (consumers[trigger.topic]) {
      throw new Error(`topic ${trigger.topic} has two consumers, ${consumers[trigger.topic]} and ${name}`);
    }
    consumers[trigger.topic] = name;
  }
  const orphans = topicNames.filter((topic) => !consumers[topic]);
  if (orphans.length > 0) throw new Error(`no function is triggered by ${orphans.join(", ")}`);
  return consumers as Record<TopicName, FunctionName>;
}

/** Which Pub/Sub-triggered function consumes which topic: from the declarations above, one consumer per topic. */
export const consumerOf: Readonly<Record<TopicName, FunctionName>> = consumersOf();
