// What a Vertex step looks like without modelgate's cold-start care: the whole @google-cloud/aiplatform package
// required at the top (every service, v1 and v1beta1, with the full 4 MB proto JSON) and every client the step
// uses constructed while the module loads. The adapters are then handed these clients, so the handler is the
// same code the real function runs.
import { v1 } from "@google-cloud/aiplatform";
import { http } from "@google-cloud/functions-framework";
import { loadConfig } from "../../shared/config.js";
import type { StepDefinition } from "../../shared/pubsub-function.js";
import { pubsubPushHandler } from "../../shared/pubsub-push-handler.js";
import { type Runtime, sharedRuntime } from "../../shared/runtime.js";
import { loadSettings } from "../../shared/settings.js";
import type { TopicName } from "../../shared/topology.js";
import { vertexLocation } from "../../shared/vertex/adapters-per-runtime.js";
import { vertexClientOptions } from "../../shared/vertex/client-options.js";
import { VertexEndpointDeployer } from "../../shared/vertex/endpoints-adapter.js";
import { VertexTrainingLauncher } from "../../shared/vertex/jobs-adapter.js";
import { VertexModelRegistry } from "../../shared/vertex/models-adapter.js";
import { VertexPredictor } from "../../shared/vertex/prediction-adapter.js";

type Closable = { close(): Promise<void> };
type ClientOptions = ConstructorParameters<typeof v1.EndpointServiceClient>[0];

const options = (await vertexClientOptions(
  loadSettings(process.env).vertexEndpoint,
  loadConfig(process.env).region,
)) as ClientOptions;

/** The clients, constructed now (at module load), as a naive function would. */
export const eager = {
  jobs: new v1.JobServiceClient(options),
  models: new v1.ModelServiceClient(options),
  endpoints: new v1.EndpointServiceClient(options),
  predictions: new v1.PredictionServiceClient(options),
};

/** Replaces an adapter's lazily loaded client with an eagerly made one. */
function withClient<A extends object>(adapter: A, client: Closable): A {
  const made = Object.assign(async () => client, { close: () => client.close() });
  Object.defineProperty(adapter, "client", { value: made });
  return adapter;
}

/** The adapters over the eager clients, once per runtime. */
export function eagerPorts(runtime: Runtime) {
  const location = vertexLocation(runtime);
  return {
    launcher: withClient(new VertexTrainingLauncher(location), eager.jobs),
    registry: withClient(new VertexModelRegistry(location), eager.models),
    deployer: withClient(new VertexEndpointDeployer(location), eager.endpoints),
    predictor: withClient(new VertexPredictor(location), eager.predictions),
  };
}

function oncePerRuntime<P>(make: (runtime: Runtime) => P): (runtime: Runtime) => P {
  const made = new WeakMap<Runtime, P>();
  return (runtime) => {
    let ports = made.get(runtime);
    if (!ports) {
      ports = make(runtime);
      made.set(runtime, ports);
    }
    return ports;
  };
}

/** Registers a step as a naive function under the step's own name, its adapters picked from the eager ones. */
export function registerNaiveStep<T extends TopicName, P>(
  step: (adapters: (runtime: Runtime) => P) => StepDefinition<T>,
  pick: (ports: ReturnType<typeof eagerPorts>) => P,
): void {
  const definition = step(oncePerRuntime((runtime) => pick(eagerPorts(runtime))));
  // Served as the real steps are: an HTTP function taking Pub/Sub's push envelope (shared/pubsub-push-handler.ts).
  http(definition.name, pubsubPushHandler(definition, sharedRuntime));
}
