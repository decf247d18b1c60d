export {
  type Authorize,
  allowAll,
  bearerIdentity,
  type StorageAccess,
  StoragePermission,
  type StorageRequestInfo,
} from "./authorize.js";
export { localStorageClientOptions } from "./client-options.js";
export { StorageApiError } from "./errors.js";
export { type DeliveryRetry, FINALIZED_EVENT_TYPE } from "./finalize-dispatcher.js";
export { grantsPath } from "./request-handler.js";
export {
  type FinalizeSubscription,
  type LocalStorageServer,
  type StorageServerOptions,
  startStorageServer,
} from "./server.js";
