import { RpcError } from "./errors.js";
import { type VertexMethod, vertexPermissions } from "./permissions.js";
import { serviceNames } from "./protos.js";

/** Which custom jobs `failJob` applies to: a display name, or labels that must all match. */
export type JobMatch = string | { displayName?: string; labels?: Record<string, string> };

/** Faults a test injects into the local Vertex AI server. */
export interface VertexFaults {
  /** The next `count` calls of `method` ("DeployModel" or "google.cloud.aiplatform.v1.EndpointService/DeployModel") fail with `code`. */
  failNext(method: string, count: number, code: "UNAVAILABLE" | "RESOURCE_EXHAUSTED"): void;
  /** Every call of `method` waits `ms` first (0 removes the latency). */
  latency(method: string, ms: number): void;
  /** The next custom job that matches ends FAILED with `message` instead of running its container. */
  failJob(match: JobMatch, message?: string): void;
  /** The next `count` long-running operations started by `method` complete with `Operation.error`. */
  failOperation(method: string, count: number, message?: string): void;
  /** Removes every injected fault. */
  clear(): void;
}

const methodsByFullName = new Map<string, VertexMethod>();
for (const method of Object.keys(vertexPermissions) as VertexMethod[]) {
  for (const service of Object.values(serviceNames)) methodsByFullName.set(`${service}/${method}`, method);
}

/** Resolves "DeployModel" or "[/]google.cloud.aiplatform.v1.EndpointService/DeployModel" to "DeployModel". */
export function resolveMethod(method: string): VertexMethod {
  const trimmed = method.replace(/^\//, "");
  if (trimmed in vertexPermissions) return trimmed as VertexMethod;
  const resolved = methodsByFullName.get(trimmed);
  if (resolved) return resolved;
  throw new Error(
    `Unknown Vertex AI method \`${method}\`; use one of ${Object.keys(vertexPermissions).join(", ")} (optionally as Service/Method).`,
  );
}

/** Holds injected faults; the server consults it before each call, job and operation. */
export class FaultInjector implements VertexFaults {
  private readonly failures = new Map<
    VertexMethod,
    { count: number; code: "UNAVAILABLE" | "RESOURCE_EXHAUSTED" }
  >();
  private readonly latencies = new Map<VertexMethod, number>();
  private readonly jobFailures: Array<{ match: JobMatch; message: string }> = [];
  private readonly operationFailures = new Map<VertexMethod, { count: number; message: string }>();

  failNext(method: string, count: number, code: "UNAVAILABLE" | "RESOURCE_EXHAUSTED"): void {
    checkCount(count);
    this.failures.set(resolveMethod(method), { count, code });
  }

  latency(method: string, ms: number): void {
    if (!Number.isFinite(ms) || ms < 0)
      throw new Error(`latency must be a non-negative number of ms, got ${ms}`);
    const resolved = resolveMethod(method);
    if (ms === 0) this.latencies.delete(resolved);
    else this.latencies.set(resolved, ms);
  }

  failJob(match: JobMatch, message = "Injected failure: the job's container failed."): void {
    this.jobFailures.push({ match, message });
  }

  failOperation(method: string, count: number, message = "Injected failure: the operation failed."): void {
    checkCount(count);
    this.operationFailures.set(resolveMethod(method), { count, message });
  }

  clear(): void {
    this.failures.clear();
    this.latencies.clear();
    this.jobFailures.length = 0;
    this.operationFailures.clear();
  }

  /** Waits the injected latency of `method`, then throws its injected failure if one is pending. */
  async beforeCall(method: VertexMethod): Promise<void> {
    const ms = this.latencies.get(method);
    if (ms) await new Promise((resolve) => setTimeout(resolve, ms));
    const failure = this.failures.get(method);
    if (failure && failure.count > 0) {
      failure.count -= 1;
      if (failure.count === 0) this.failures.delete(method);
      throw new RpcError(failure.code, `Injected fault: ${method} failed with ${failure.code}.`);
    }
  }

  /** Takes the pending failure of a job with this display name and labels, if any. */
  takeJobFailure(displayName: string, labels: Record<string, string>): string | undefined {
    const index = this.jobFailures.findIndex(({ match }) => {
      if (typeof match === "string") return match === displayName;
      if (match.displayName !== undefined && match.displayName !== displayName) return false;
      return Object.entries(match.labels ?? {}).every(([key, value]) => labels[key] === value);
    });
    if (index < 0) return undefined;
    return this.jobFailures.splice(index, 1)[0]?.message;
  }

  /** Takes the pending failure of an operation started by `method`, if any. */
  takeOperationFailure(method: VertexMethod): string | undefined {
    const failure = this.operationFailures.get(method);
    if (!failure) return undefined;
    failure.count -= 1;
    if (failure.count <= 0) this.operationFailures.delete(method);
    return failure.message;
  }
}

function checkCount(count: number): void {
  if (!Number.isInteger(count) || count < 1)
    throw new Error(`count must be a positive integer, got ${count}`);
}
