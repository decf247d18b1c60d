export {
  identityCallOptions,
  localVertexClientOptions,
} from "./client-options.js";
export type { JobMatch, VertexFaults } from "./fault-injector.js";
export type { TrainerCommand } from "./job-runner.js";
export { type Authorize, type VertexMethod, vertexPermissions } from "./permissions.js";
export type { Predictor, PredictorFactory } from "./predict-router.js";
export { fromProtoValue, type ProtoValue, toProtoValue } from "./proto-value.js";
export {
  type LocalVertexServer,
  type RequestLogEntry,
  startVertexServer,
  type VertexServerOptions,
} from "./server.js";
