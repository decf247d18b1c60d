import {
  type handleUnaryCall,
  Server,
  ServerCredentials,
  type ServerErrorResponse,
  status,
} from "@grpc/grpc-js";
import { cloudTasksDefinition } from "./protos.js";
import { type HeldTask, type RetryPolicy, TaskQueue } from "./task-queue.js";

/** Decides one call's IAM permission on a resource (a queue, or a service account for actAs). */
export type Authorize = (identity: string, permission: string, resource: string) => boolean;

export interface TasksServerOptions {
  host?: string;
  port?: number;
  /** The queues that exist, by full name (`projects/P/locations/L/queues/Q`), with their retry policy. */
  queues: Record<string, RetryPolicy>;
  /** One extra port per identity: every call arriving there is that identity's; the default port is the admin's. */
  identities?: readonly string[];
  authorize?: Authorize;
  log?: (entry: Record<string, unknown>) => void;
}

export interface LocalTasksServer {
  address: string;
  identityAddresses: Record<string, string>;
  queue(name: string): TaskQueue | undefined;
  close(): Promise<void>;
}

type Request = Record<string, unknown>;
type Handler = (request: Request, identity: string | null) => unknown;

function grpcError(code: status, details: string): ServerErrorResponse {
  return Object.assign(new Error(details), { code, details });
}

const timestamp = (date: Date) => ({
  seconds: String(Math.floor(date.getTime() / 1000)),
  nanos: (date.getTime() % 1000) * 1e6,
});

function taskResource(task: HeldTask) {
  return {
    name: task.name,
    scheduleTime: timestamp(task.scheduleTime),
    createTime: timestamp(task.createTime),
    dispatchCount: task.dispatchCount,
    responseCount: task.responseCount,
    view: "BASIC",
    httpRequest: {
      url: task.http.url,
      httpMethod: task.http.method,
      headers: task.http.headers,
      ...(task.http.oidc ? { oidcToken: task.http.oidc } : {}),
    },
  };
}

/**
 * A local Cloud Tasks server (google.cloud.tasks.v2.CloudTasks over gRPC) that the real `@google-cloud/tasks` client
 * talks to: GetQueue, CreateTask, GetTask, DeleteTask and ListTasks over queues given at start; every other method
 * answers UNIMPLEMENTED. Tasks are HTTP tasks, dispatched at their schedule time (local/tasks/task-queue.ts).
 */
export async function startTasksServer(options: TasksServerOptions): Promise<LocalTasksServer> {
  const host = options.host ?? "127.0.0.1";
  const log = options.log ?? (() => undefined);
  const queues = new Map(
    Object.entries(options.queues).map(([name, retry]) => [name, new TaskQueue(name, retry, log)]),
  );
  const handlers = tasksHandlers(queues, options.authorize ?? (() => true), log);
  const servers: Server[] = [];
  const listen = (port: number, identity: string | null) => {
    const server = new Server();
    const implementation: Record<string, handleUnaryCall<unknown, unknown>> = {};
    for (const method of Object.keys(cloudTasksDefinition())) {
      implementation[method] = (call, callback) => {
        const handler = handlers[method];
        if (!handler)
          return callback(grpcError(status.UNIMPLEMENTED, `${method} is not implemented locally`));
        try {
          callback(null, handler(call.request as Request, identity));
        } catch (error) {
          callback(error as ServerErrorResponse);
        }
      };
    }
    server.addService(cloudTasksDefinition(), implementation);
    servers.push(server);
    return new Promise<number>((resolve, reject) =>
      server.bindAsync(`${host}:${port}`, ServerCredentials.createInsecure(), (error, bound) =>
        error ? reject(error) : resolve(bound),
      ),
    );
  };
  const close = async () => {
    for (const queue of queues.values()) queue.close();
    for (const server of servers) server.forceShutdown();
  };
  try {
    const port = await listen(options.port ?? 0, null);
    const identityAddresses: Record<string, string> = {};
    for (const identity of options.identities ?? []) {
      identityAddresses[identity] = `${host}:${await listen(0, identity)}`;
    }
    return { address: `${host}:${port}`, identityAddresses, queue: (name) => queues.get(name), close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** The implemented methods over `queues`, each checking its permission for a call that carries an identity. */
function tasksHandlers(
  queues: Map<string, TaskQueue>,
  authorize: Authorize,
  log: (entry: Record<string, unknown>) => void,
): Record<string, Handler> {
  const allow = (identity: string | null, permission: string, resource: string) => {
    if (identity !== null && !authorize(identity, permission, resource)) {
      throw grpcError(
        status.PERMISSION_DENIED,
        `Permission '${permission}' denied on resource '${resource}'`,
      );
    }
  };
  const queueOf = (name: unknown): TaskQueue => {
    const queue = queues.get(String(name));
    if (!queue) throw grpcError(status.NOT_FOUND, `Queue ${String(name)} does not exist`);
    return queue;
  };
  const queueOfTask = (name: unknown) => queueOf(String(name).replace(/\/tasks\/[^/]+$/, ""));

  const handlers: Record<string, Handler> = {
    GetQueue: (request, identity) => {
      allow(identity, "cloudtasks.queues.get", String(request.name));
      const queue = queueOf(request.name);
      return { name: queue.name, state: "RUNNING", retryConfig: { maxAttempts: queue.retry.maxAttempts } };
    },
    CreateTask: (request, identity) => createTask(request, identity, { allow, queueOf, log }),
    GetTask: (request, identity) => {
      allow(identity, "cloudtasks.tasks.get", String(request.name));
      const task = queueOfTask(request.name).get(String(request.name));
      if (!task) throw grpcError(status.NOT_FOUND, `Task ${String(request.name)} does not exist`);
      return taskResource(task);
    },
    DeleteTask: (request, identity) => {
      allow(identity, "cloudtasks.tasks.delete", String(request.name));
      if (!queueOfTask(request.name).delete(String(request.name))) {
        throw grpcError(status.NOT_FOUND, `Task ${String(request.name)} does not exist`);
      }
      return {};
    },
    ListTasks: (request, identity) => {
      allow(identity, "cloudtasks.tasks.list", String(request.parent));
      return { tasks: queueOf(request.parent).list().map(taskResource) };
    },
  };

  return handlers;
}

interface TaskContext {
  allow: (identity: string | null, permission: string, resource: string) => void;
  queueOf: (name: unknown) => TaskQueue;
  log: (entry: Record<string, unknown>) => void;
}

/** CreateTask: an HTTP task under a name not taken in its queue, dispatched at its schedule time. */
function createTask(request: Request, identity: string | null, { allow, queueOf, log }: TaskContext) {
  const parent = String(request.parent);
  allow(identity, "cloudtasks.tasks.create", parent);
  const queue = queueOf(parent);
  const task = (request.task ?? {}) as Record<string, unknown>;
  const http = task.httpRequest as Record<string, unknown> | undefined;
  if (!http?.url) throw grpcError(status.INVALID_ARGUMENT, "only HTTP tasks with a url are supported here");
  const oidc = http.oidcToken as { serviceAccountEmail?: string; audience?: string } | undefined;
  if (oidc?.serviceAccountEmail) allow(identity, "iam.serviceAccounts.actAs", oidc.serviceAccountEmail);
  const name = task.name
    ? String(task.name)
    : `${parent}/tasks/${Date.now()}${Math.random().toString().slice(2, 8)}`;
  if (!name.startsWith(`${parent}/tasks/`)) {
    throw grpcError(status.INVALID_ARGUMENT, `task name ${name} is not in queue ${parent}`);
  }
  const schedule = task.scheduleTime as { seconds?: string; nanos?: number } | undefined;
  const now = new Date();
  const held: HeldTask = {
    name,
    createTime: now,
    scheduleTime: schedule
      ? new Date(Number(schedule.seconds ?? 0) * 1000 + Math.floor((schedule.nanos ?? 0) / 1e6))
      : now,
    http: {
      url: String(http.url),
      method: String(http.httpMethod ?? "POST"),
      headers: (http.headers ?? {}) as Record<string, string>,
      body: Buffer.from((http.body as Buffer | undefined) ?? Buffer.alloc(0)),
      ...(oidc?.serviceAccountEmail
        ? {
            oidc: {
              serviceAccountEmail: oidc.serviceAccountEmail,
              audience: oidc.audience ?? String(http.url),
            },
          }
        : {}),
    },
    dispatchCount: 0,
    responseCount: 0,
  };
  if (!queue.add(held)) throw grpcError(status.ALREADY_EXISTS, `Requested entity already exists: ${name}`);
  log({
    component: "local-tasks",
    message: "task created",
    task: name,
    scheduleTime: held.scheduleTime.toISOString(),
  });
  return taskResource(held);
}
