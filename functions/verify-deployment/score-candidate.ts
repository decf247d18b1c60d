import { describeError, isRetryable, ModelgateError, UpstreamError } from "../../shared/errors.js";
import { GrpcCode } from "../../shared/grpc-errors.js";
import type { ServedPredictions, ServingPredictor } from "../../shared/vertex/prediction-adapter.js";

export interface ScoringOptions {
  endpoint: string;
  /** The candidate's deployed model id: only its answers are scored. */
  candidateDeployedModelId: string;
  batchSize: number;
  /** Predict requests in flight at once. */
  concurrency: number;
  /** Re-sends allowed over the whole run for batches another deployed model answered (config maxRequests). */
  maxResends: number;
  /** Sends of one batch before it is given up as unscored (see `sendsPerBatchBound`). */
  maxSendsPerBatch: number;
  /** Extra attempts of one request after a transient error before the whole run is abandoned. Default 3. */
  transientRetries?: number;
  /** Waits before a transient retry; tests pass a no-op. Default: 200 ms × 2^attempt. */
  sleep?: (attempt: number) => Promise<void>;
}

/** Where answers go: the candidate's are scored; another model's first answer per batch may feed a comparison. */
export interface ScoringSink<T> {
  candidate(items: readonly T[], predictions: readonly unknown[]): void;
  other?(deployedModelId: string, items: readonly T[], predictions: readonly unknown[]): void;
}

/** What scoring did, for the report and the one ledger record (Predict calls are not ledgered one by one). */
export interface ScoringSummary {
  requests: number;
  /** Instances sent, re-sends included. */
  instancesSent: number;
  batches: number;
  /** Instances the candidate answered. */
  candidateInstances: number;
  /** Instances never answered by the candidate: re-send bound reached, or refused by the model. */
  unscoredInstances: number;
  /** Instances the endpoint refused with INVALID_ARGUMENT even alone. */
  refusedInstances: number;
  resends: number;
  /** Requests sent to the candidate by its deployed model id (Explain), bypassing the traffic split. */
  routedRequests: number;
  /** Instances sent per instance the candidate scored (1 when every batch reached it first time). */
  instancesPerScoredRow: number;
  /** Instances answered by other deployed models (the serving version): predictions verification paid for there. */
  instancesServedByOthers: number;
  failedRequests: number;
  /** Predict answers per deployed model id. */
  responsesByDeployedModel: Record<string, number>;
  /** The model version behind each deployed model that answered, as PredictResponse reported it. */
  servedBy: Record<string, { model?: string; modelVersionId?: string }>;
  resendBudgetExhausted: boolean;
  firstError?: Record<string, unknown>;
}

/**
 * Sends items (arriving in groups, as a stream reads them) through the endpoint in batches, `concurrency`
 * requests at a time, and hands the candidate's answers to the sink. When the predictor can route to a chosen
 * deployed model (`predictOn`), every batch goes to the candidate once; the first FAILED_PRECONDITION (the deployed
 * model cannot be addressed that way) switches the run to Predict by traffic split. Items are pulled only when a
 * worker is free, so memory holds at most `concurrency` batches whatever the golden set's size. A batch another deployed model answered is re-sent (the
 * canary receives only its traffic share) within the per-batch and whole-run bounds. A batch refused with
 * INVALID_ARGUMENT is split in halves until the refused instances are alone, so one bad row costs one row.
 * A transient error is retried, then abandons the run (the step is redelivered); any other error abandons it.
 */
export async function scoreCandidate<T>(
  items: AsyncIterable<readonly T[]>,
  predictor: ServingPredictor,
  options: ScoringOptions,
  sink: ScoringSink<T>,
): Promise<ScoringSummary> {
  const run: ScoringRun<T> = {
    predictor,
    options,
    sink,
    summary: emptySummary(),
    transientRetries: options.transientRetries ?? 3,
    sleep: options.sleep ?? defaultSleep,
    routable: predictor.predictOn !== undefined,
  };
  const { summary } = run;
  const batches = batchesOf(items, options.batchSize)[Symbol.asyncIterator]();

  const worker = async (): Promise<void> => {
    while (!run.failure) {
      let next: IteratorResult<T[]>;
      try {
        next = await batches.next();
      } catch (error) {
        run.failure ??= { error };
        return;
      }
      if (next.done) return;
      summary.batches++;
      try {
        await scoreBatch(run, next.value);
      } catch (error) {
        run.failure ??= { error };
      }
    }
  };

  const workers = Math.max(1, options.concurrency);
  await Promise.all(Array.from({ length: workers }, worker));
  if (run.failure) {
    // Stop reading the golden set: nothing more will be scored.
    await batches.return?.(undefined).catch(() => undefined);
    throw run.failure.error;
  }
  summary.instancesPerScoredRow =
    summary.candidateInstances === 0 ? 0 : round3(summary.instancesSent / summary.candidateInstances);
  return summary;
}

/** One scoring run: what it sends through and to, what it has counted so far, and the state its workers share. */
interface ScoringRun<T> {
  predictor: ServingPredictor;
  options: ScoringOptions;
  sink: ScoringSink<T>;
  summary: ScoringSummary;
  transientRetries: number;
  sleep: (attempt: number) => Promise<void>;
  /** The first error that abandoned the run; every worker stops at it. */
  failure?: { error: unknown };
  /** Whether batches still go to the candidate by its deployed model id (false after a FAILED_PRECONDITION). */
  routable: boolean;
}

function emptySummary(): ScoringSummary {
  return {
    requests: 0,
    instancesSent: 0,
    batches: 0,
    candidateInstances: 0,
    unscoredInstances: 0,
    refusedInstances: 0,
    resends: 0,
    routedRequests: 0,
    instancesPerScoredRow: 0,
    instancesServedByOthers: 0,
    failedRequests: 0,
    responsesByDeployedModel: {},
    servedBy: {},
    resendBudgetExhausted: false,
  };
}

/**
 * Sends one batch, to the candidate by id while the run is routable, else by traffic split. A routed send refused
 * with FAILED_PRECONDITION switches the run to the traffic split without costing an attempt; a transient error is
 * retried up to the run's bound; anything else, or any error once the run has failed, is thrown.
 */
async function sendBatch<T>(run: ScoringRun<T>, batch: T[]): Promise<ServedPredictions> {
  const { predictor, options, summary } = run;
  for (let attempt = 0; ; attempt++) {
    const routed = run.routable;
    summary.requests++;
    summary.instancesSent += batch.length;
    if (routed) summary.routedRequests++;
    try {
      const answer =
        routed && predictor.predictOn
          ? await predictor.predictOn(options.endpoint, options.candidateDeployedModelId, batch as unknown[])
          : await predictor.predict(options.endpoint, batch as unknown[]);
      if (answer.predictions.length !== batch.length) {
        throw new UpstreamError(
          `Predict on ${options.endpoint} returned ${answer.predictions.length} predictions for ${batch.length} instances`,
          { details: { deployedModelId: answer.deployedModelId } },
        );
      }
      return answer;
    } catch (error) {
      if (routed && hasGrpcCode(error, GrpcCode.FAILED_PRECONDITION)) {
        // This deployed model cannot be addressed directly: fall back to the traffic split, without a penalty.
        run.routable = false;
        attempt--;
        continue;
      }
      summary.failedRequests++;
      summary.firstError ??= describeError(error);
      if (!isRetryable(error) || attempt >= run.transientRetries || run.failure) throw error;
      await run.sleep(attempt);
    }
  }
}

/**
 * Sends a batch until the candidate answers it (its answers go to the sink; another model's first answer may feed
 * the comparison), within the per-batch and whole-run re-send bounds. A batch refused with INVALID_ARGUMENT is
 * split in halves until the refused instances are alone.
 */
async function scoreBatch<T>(run: ScoringRun<T>, batch: T[]): Promise<void> {
  const { options, summary, sink } = run;
  const fedOthers = new Set<string>();
  for (let sends = 0; ; sends++) {
    if (run.failure) return;
    if (sends > 0) {
      if (sends >= options.maxSendsPerBatch || summary.resends >= options.maxResends) {
        if (summary.resends >= options.maxResends) summary.resendBudgetExhausted = true;
        summary.unscoredInstances += batch.length;
        return;
      }
      summary.resends++;
    }
    let answer: ServedPredictions;
    try {
      answer = await sendBatch(run, batch);
    } catch (error) {
      if (!isInvalidArgument(error)) throw error;
      if (batch.length === 1) {
        summary.refusedInstances++;
        summary.unscoredInstances++;
        return;
      }
      const middle = Math.ceil(batch.length / 2);
      await scoreBatch(run, batch.slice(0, middle));
      await scoreBatch(run, batch.slice(middle));
      return;
    }
    const id = answer.deployedModelId;
    summary.responsesByDeployedModel[id] = (summary.responsesByDeployedModel[id] ?? 0) + 1;
    if (!(id in summary.servedBy)) {
      summary.servedBy[id] = {
        ...(answer.model === undefined ? {} : { model: answer.model }),
        ...(answer.modelVersionId === undefined ? {} : { modelVersionId: answer.modelVersionId }),
      };
    }
    if (id === options.candidateDeployedModelId) {
      summary.candidateInstances += batch.length;
      sink.candidate(batch, answer.predictions);
      return;
    }
    summary.instancesServedByOthers += batch.length;
    if (sink.other && !fedOthers.has(id)) {
      fedOthers.add(id);
      sink.other(id, batch, answer.predictions);
    }
  }
}

/** Regroups groups of items (as a stream delivers them) into batches of `size`; the last may be shorter. */
export async function* batchesOf<T>(groups: AsyncIterable<readonly T[]>, size: number): AsyncGenerator<T[]> {
  let batch: T[] = [];
  for await (const group of groups) {
    for (const item of group) {
      batch.push(item);
      if (batch.length >= size) {
        yield batch;
        batch = [];
      }
    }
  }
  if (batch.length > 0) yield batch;
}

/**
 * How many times one batch may be sent to reach a canary with `canaryPercent` of the traffic: the smallest k
 * with (1 − p)^k ≤ 10⁻⁶, so a batch is lost to routing luck about once in a million.
 */
export function sendsPerBatchBound(canaryPercent: number): number {
  const p = Math.min(1, Math.max(0.0001, canaryPercent / 100));
  if (p >= 1) return 1;
  return Math.max(1, Math.ceil(Math.log(1e-6) / Math.log(1 - p)));
}

function isInvalidArgument(error: unknown): boolean {
  if (hasGrpcCode(error, GrpcCode.INVALID_ARGUMENT)) return true;
  return (
    error instanceof ModelgateError &&
    !error.retryable &&
    (error.details as { httpStatus?: unknown }).httpStatus === 400
  );
}

function hasGrpcCode(error: unknown, code: number): boolean {
  if (!(error instanceof ModelgateError) || error.retryable) return false;
  return (error.details as { grpcCode?: unknown }).grpcCode === code;
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}

function defaultSleep(attempt: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 200 * 2 ** attempt));
}
