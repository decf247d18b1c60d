export {
  type Authorize,
  type LocalTasksServer,
  startTasksServer,
  type TasksServerOptions,
} from "./server.js";
export { type DispatchRecord, localOidcToken, type RetryPolicy } from "./task-queue.js";
