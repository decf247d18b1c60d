import { status } from "@grpc/grpc-js";
import { notFound, toStatus } from "./errors.js";
import type { FaultInjector } from "./fault-injector.js";
import { paginate } from "./pagination.js";
import type { VertexMethod } from "./permissions.js";
import { type AnyMessage, packAny } from "./protos.js";
import { type ProtoTimestamp, timestamp } from "./timestamps.js";

/** What a long-running RPC hands the manager: the change to apply when the operation completes. */
export interface OperationSpec {
  method: VertexMethod;
  /** The resource the operation is named under, e.g. the endpoint for DeployModel. */
  resourceName: string;
  /** Fully qualified type of the metadata (it wraps a GenericOperationMetadata). */
  metadataType: string;
  /** Fully qualified type of the response packed into `Operation.response`. */
  responseType: string;
  /** Applies the change and returns the response; throwing an RpcError fails the operation. */
  complete: () => object | Promise<object>;
  /** Called instead of `complete` when the operation fails without applying its change (an injected failure):
   * releases what the request reserved (e.g. a deployed model id), as a failed operation leaves nothing behind. */
  abandon?: () => void;
}

/** A google.longrunning.Operation as the serializer takes it. */
export interface OperationMessage {
  name: string;
  metadata: AnyMessage;
  done: boolean;
  error?: { code: number; message: string; details: never[] };
  response?: AnyMessage;
}

interface OperationRecord {
  message: OperationMessage;
  spec: OperationSpec;
  createTime: ProtoTimestamp;
  timer: NodeJS.Timeout | undefined;
  waiters: Set<() => void>;
}

/**
 * Runs the server's long-running operations: each completes `delayMs` after it starts, applying
 * its change then (so a failed operation leaves nothing behind), and is read back through
 * google.longrunning.Operations the way the client's `operation.promise()` polls it.
 */
export class OperationManager {
  private readonly operations = new Map<string, OperationRecord>();
  private sequence = 0;

  constructor(
    private readonly delayMs: number,
    private readonly faults: FaultInjector,
    private readonly log: (entry: Record<string, unknown>) => void,
  ) {}

  /** Starts an operation and returns it, not yet done. */
  start(spec: OperationSpec): OperationMessage {
    this.sequence += 1;
    const name = `${spec.resourceName}/operations/${1_000_000 + this.sequence}`;
    const createTime = timestamp();
    const record: OperationRecord = {
      message: { name, done: false, metadata: this.metadata(spec, createTime) },
      spec,
      createTime,
      timer: undefined,
      waiters: new Set(),
    };
    const injected = this.faults.takeOperationFailure(spec.method);
    record.timer = setTimeout(() => {
      record.timer = undefined;
      void this.finish(record, injected);
    }, this.delayMs);
    this.operations.set(name, record);
    return record.message;
  }

  /** GetOperation. */
  get(name: string): OperationMessage {
    return this.find(name).message;
  }

  /** ListOperations under a resource (`name` is the resource, as the client sends it). */
  list(
    name: string,
    filter: string,
    pageSize: number,
    pageToken: string,
  ): { operations: OperationMessage[]; nextPageToken: string } {
    const doneFilter = /^\s*done\s*=\s*(true|false)\s*$/.exec(filter);
    const all = [...this.operations.values()]
      .map((record) => record.message)
      .filter((op) => op.name.startsWith(`${name}/operations/`))
      .filter((op) => !doneFilter || String(op.done) === doneFilter[1]);
    const page = paginate(all, pageSize, pageToken);
    return { operations: page.items, nextPageToken: page.nextPageToken };
  }

  /** WaitOperation: resolves once the operation is done or `timeoutMs` has passed. */
  async wait(name: string, timeoutMs: number): Promise<OperationMessage> {
    const record = this.find(name);
    if (record.message.done) return record.message;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      function done() {
        clearTimeout(timer);
        record.waiters.delete(done);
        resolve();
      }
      record.waiters.add(done);
    });
    return record.message;
  }

  /** CancelOperation: an unfinished operation ends with CANCELLED and its change is not applied. */
  cancel(name: string): void {
    const record = this.find(name);
    if (record.message.done) return;
    clearTimeout(record.timer);
    record.timer = undefined;
    this.settle(record, {
      error: { code: status.CANCELLED, message: "Operation was cancelled.", details: [] },
    });
  }

  /** DeleteOperation: forgets the operation. */
  delete(name: string): void {
    this.find(name);
    this.operations.delete(name);
  }

  /** Stops pending operations (their changes are never applied). */
  close(): void {
    for (const record of this.operations.values()) {
      clearTimeout(record.timer);
      for (const wake of record.waiters) wake();
    }
  }

  private find(name: string): OperationRecord {
    const record = this.operations.get(name);
    if (!record) throw notFound(`Operation \`${name}\` not found.`);
    return record;
  }

  private async finish(record: OperationRecord, injected: string | undefined): Promise<void> {
    if (injected !== undefined) {
      record.spec.abandon?.();
      this.settle(record, { error: { code: status.INTERNAL, message: injected, details: [] } });
      return;
    }
    try {
      const response = await record.spec.complete();
      this.settle(record, { response: packAny(record.spec.responseType, response) });
    } catch (error) {
      const { code, message } = toStatus(error);
      this.settle(record, { error: { code, message, details: [] } });
    }
  }

  private settle(record: OperationRecord, outcome: Pick<OperationMessage, "error" | "response">): void {
    record.message = {
      name: record.message.name,
      metadata: this.metadata(record.spec, record.createTime),
      done: true,
      ...outcome,
    };
    if (outcome.error) {
      this.log({ event: "operation-failed", operation: record.message.name, ...outcome.error });
    }
    for (const wake of record.waiters) wake();
  }

  private metadata(spec: OperationSpec, createTime: ProtoTimestamp): AnyMessage {
    return packAny(spec.metadataType, { genericMetadata: { createTime, updateTime: timestamp() } });
  }
}
