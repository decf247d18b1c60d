/**
 * The local Cloud Tasks queues: tasks held in memory and dispatched as HTTP requests at their schedule time, with
 * an OIDC-like bearer token, retried on a non-2xx answer with the queue's backoff up to its attempt limit. As Cloud
 * Tasks does, a task name stays taken after the task ran or was deleted (a repeat gets ALREADY_EXISTS).
 */

/** The retry policy of a queue (Cloud Tasks' RetryConfig, in milliseconds). */
export interface RetryPolicy {
  maxAttempts: number;
  minBackoffMs: number;
  maxBackoffMs: number;
}

export interface HttpTarget {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: Buffer;
  /** The account the OIDC token is for, and its audience. */
  oidc?: { serviceAccountEmail: string; audience: string };
}

export interface HeldTask {
  name: string;
  scheduleTime: Date;
  createTime: Date;
  http: HttpTarget;
  dispatchCount: number;
  responseCount: number;
  lastStatus?: number;
}

/** What became of a dispatch, for the log and the tests. */
export interface DispatchRecord {
  task: string;
  at: Date;
  attempt: number;
  status: number | string;
  authorization?: string;
}

/** The bearer token a local task presents: the claims of a Google OIDC token, unsigned (no key exists locally). */
export function localOidcToken(email: string, audience: string, now: Date): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const iat = Math.floor(now.getTime() / 1000);
  return `${part({ alg: "none", typ: "JWT" })}.${part({ iss: "https://accounts.google.com", email, aud: audience, iat, exp: iat + 3600 })}.`;
}

export class TaskQueue {
  private readonly tasks = new Map<string, HeldTask>();
  private readonly taken = new Set<string>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  readonly dispatches: DispatchRecord[] = [];
  private closed = false;

  constructor(
    readonly name: string,
    readonly retry: RetryPolicy,
    private readonly log: (entry: Record<string, unknown>) => void,
  ) {}

  /** Holds a task and arms its dispatch; false when the name is taken (held, run or deleted before). */
  add(task: HeldTask): boolean {
    if (this.taken.has(task.name)) return false;
    this.taken.add(task.name);
    this.tasks.set(task.name, task);
    this.arm(task, task.scheduleTime);
    return true;
  }

  get(name: string): HeldTask | undefined {
    return this.tasks.get(name);
  }

  list(): HeldTask[] {
    return [...this.tasks.values()];
  }

  delete(name: string): boolean {
    clearTimeout(this.timers.get(name));
    this.timers.delete(name);
    return this.tasks.delete(name);
  }

  close(): void {
    this.closed = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  private arm(task: HeldTask, at: Date): void {
    const delay = Math.max(0, at.getTime() - Date.now());
    this.timers.set(
      task.name,
      setTimeout(() => void this.dispatch(task), delay),
    );
  }

  private async dispatch(task: HeldTask): Promise<void> {
    if (this.closed || !this.tasks.has(task.name)) return;
    task.dispatchCount++;
    const now = new Date();
    const headers: Record<string, string> = {
      ...task.http.headers,
      "X-CloudTasks-QueueName": this.name.split("/").at(-1) ?? this.name,
      "X-CloudTasks-TaskName": task.name.split("/").at(-1) ?? task.name,
      "X-CloudTasks-TaskRetryCount": String(task.dispatchCount - 1),
    };
    if (task.http.oidc) {
      headers.Authorization = `Bearer ${localOidcToken(task.http.oidc.serviceAccountEmail, task.http.oidc.audience, now)}`;
    }
    let status: number | string;
    try {
      const response = await fetch(task.http.url, {
        method: task.http.method,
        headers,
        body: task.http.method === "GET" ? null : new Uint8Array(task.http.body),
      });
      await response.arrayBuffer();
      status = response.status;
      task.responseCount++;
      task.lastStatus = status;
    } catch (error) {
      status = (error as Error).message;
    }
    this.dispatches.push({
      task: task.name,
      at: now,
      attempt: task.dispatchCount,
      status,
      ...(headers.Authorization ? { authorization: headers.Authorization } : {}),
    });
    this.log({
      component: "local-tasks",
      message: "task dispatched",
      task: task.name,
      attempt: task.dispatchCount,
      status,
    });
    if (typeof status === "number" && status >= 200 && status < 300) {
      this.delete(task.name);
      return;
    }
    if (task.dispatchCount >= this.retry.maxAttempts) {
      this.log({
        severity: "WARNING",
        component: "local-tasks",
        message: "task dropped after its last attempt",
        task: task.name,
      });
      this.delete(task.name);
      return;
    }
    const backoff = Math.min(
      this.retry.maxBackoffMs,
      this.retry.minBackoffMs * 2 ** (task.dispatchCount - 1),
    );
    this.arm(task, new Date(Date.now() + backoff));
  }
}
