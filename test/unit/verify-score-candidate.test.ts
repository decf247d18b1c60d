import { describe, expect, it } from "vitest";
import { mulberry32 } from "../../examples/fraud-detector/dataset.js";
import {
  batchesOf,
  type ScoringOptions,
  scoreCandidate,
  sendsPerBatchBound,
} from "../../functions/verify-deployment/score-candidate.js";
import { TransientError, UpstreamError } from "../../shared/errors.js";
import { GrpcCode } from "../../shared/grpc-errors.js";
import type { ServedPredictions, ServingPredictor } from "../../shared/vertex/prediction-adapter.js";

const endpoint = "projects/p/locations/us-central1/endpoints/e";

/**
 * An endpoint with two deployed models routed by a traffic split from a seeded RNG. Each model answers with its
 * own id inside every prediction, so a test can tell whose answers were scored. It counts requests in flight.
 */
class SplitEndpoint implements ServingPredictor {
  inFlight = 0;
  maxInFlight = 0;
  requests = 0;
  private readonly random: () => number;

  constructor(
    private readonly split: Record<string, number>,
    seed = 42,
    private readonly refuse: (instance: unknown) => boolean = () => false,
  ) {
    this.random = mulberry32(seed);
  }

  async predict(_endpoint: string, instances: unknown[]): Promise<ServedPredictions> {
    this.requests++;
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      // Answer on a later turn of the event loop, as a network call would, so other workers overlap with it.
      await new Promise((resolve) => setImmediate(resolve));
      if (instances.some(this.refuse)) {
        throw new UpstreamError("Predict failed: bad instance", {
          details: { grpcCode: GrpcCode.INVALID_ARGUMENT },
        });
      }
      let pick = this.random() * 100;
      let id = "";
      for (const [deployed, percent] of Object.entries(this.split)) {
        id = deployed;
        pick -= percent;
        if (pick < 0) break;
      }
      return {
        deployedModelId: id,
        predictions: instances.map((instance) => ({ servedBy: id, instance })),
        model: `projects/p/locations/us-central1/models/m-${id}`,
        modelVersionId: id === "candidate" ? "2" : "1",
      };
    } finally {
      this.inFlight--;
    }
  }
}

/**
 * The same endpoint where a request can also name the deployed model that must serve it (Vertex AI's Explain with a
 * deployed model id); `explains` says which deployed models support that, the others answer FAILED_PRECONDITION.
 */
class RoutableEndpoint extends SplitEndpoint {
  routed = 0;
  constructor(
    split: Record<string, number>,
    private readonly explains: ReadonlySet<string>,
  ) {
    super(split);
  }

  async predictOn(
    _endpoint: string,
    deployedModelId: string,
    instances: unknown[],
  ): Promise<ServedPredictions> {
    this.routed++;
    await new Promise((resolve) => setImmediate(resolve));
    if (!this.explains.has(deployedModelId)) {
      throw new UpstreamError(`Deployed model ${deployedModelId} does not support explanation.`, {
        details: { grpcCode: GrpcCode.FAILED_PRECONDITION },
      });
    }
    return {
      deployedModelId,
      predictions: instances.map((instance) => ({ servedBy: deployedModelId, instance })),
    };
  }
}

/** 0 … count−1 in groups of 7, as a stream's chunks would bring them (batches cut across groups). */
async function* numbers(count: number): AsyncGenerator<number[]> {
  for (let i = 0; i < count; i += 7) yield Array.from({ length: Math.min(7, count - i) }, (_, k) => i + k);
}

const options: ScoringOptions = {
  endpoint,
  candidateDeployedModelId: "candidate",
  batchSize: 10,
  concurrency: 4,
  maxResends: 100_000,
  maxSendsPerBatch: sendsPerBatchBound(10),
  sleep: async () => undefined,
};

/** A `candidate` callback that checks each prediction came from the candidate and collects the scored items. */
function scoreInto(scored: unknown[]) {
  return (items: readonly unknown[], predictions: readonly unknown[]) => {
    for (let i = 0; i < items.length; i++) {
      expect(predictions[i]).toEqual({ servedBy: "candidate", instance: items[i] });
      scored.push(items[i]);
    }
  };
}

describe("scoreCandidate", () => {
  it("scores only the candidate's answers, each golden item exactly once", async () => {
    const predictor = new SplitEndpoint({ serving: 90, candidate: 10 });
    const scored: unknown[] = [];
    const others: string[] = [];
    const summary = await scoreCandidate(numbers(1_000), predictor, options, {
      candidate: scoreInto(scored),
      other: (id) => others.push(id),
    });
    expect(scored.sort((a, b) => (a as number) - (b as number))).toEqual(
      Array.from({ length: 1_000 }, (_, i) => i),
    );
    expect(summary.candidateInstances).toBe(1_000);
    expect(summary.unscoredInstances).toBe(0);
    expect(summary.batches).toBe(100);
    expect(summary.requests).toBe(predictor.requests);
    expect(summary.resends).toBe(summary.requests - 100);
    expect(summary.responsesByDeployedModel.candidate).toBe(100);
    expect(summary.responsesByDeployedModel.serving).toBe(summary.requests - 100);
    // With 10 % canary traffic most batches need re-sending; the serving model's first answer per batch is fed once.
    expect(summary.resends).toBeGreaterThan(300);
    expect(new Set(others)).toEqual(new Set(["serving"]));
    expect(others.length).toBeLessThanOrEqual(100);
    expect(summary.servedBy.serving).toEqual({
      model: "projects/p/locations/us-central1/models/m-serving",
      modelVersionId: "1",
    });
    // What the traffic split costs: every resend was answered, and paid for, by the serving version.
    expect(summary.routedRequests).toBe(0);
    expect(summary.instancesServedByOthers).toBe((summary.requests - 100) * 10);
    expect(summary.instancesPerScoredRow).toBeCloseTo(summary.instancesSent / 1_000, 3);
    expect(summary.instancesPerScoredRow).toBeGreaterThan(4);
  });

  it("sends each batch once, to the candidate, where a request can name its deployed model", async () => {
    const predictor = new RoutableEndpoint({ serving: 90, candidate: 10 }, new Set(["candidate", "serving"]));
    const scored: unknown[] = [];
    const summary = await scoreCandidate(numbers(1_000), predictor, options, {
      candidate: scoreInto(scored),
    });
    expect(scored).toHaveLength(1_000);
    expect(new Set(scored).size).toBe(1_000);
    expect(summary).toMatchObject({
      requests: 100,
      routedRequests: 100,
      resends: 0,
      candidateInstances: 1_000,
      instancesPerScoredRow: 1,
      instancesServedByOthers: 0,
      failedRequests: 0,
    });
    expect(predictor.routed).toBe(100);
    expect(predictor.requests).toBe(0);
  });

  it("falls back to the traffic split, re-sending as before, where the candidate cannot be named", async () => {
    const predictor = new RoutableEndpoint({ serving: 90, candidate: 10 }, new Set(["serving"]));
    const scored: unknown[] = [];
    const summary = await scoreCandidate(numbers(1_000), predictor, options, {
      candidate: scoreInto(scored),
    });
    expect(new Set(scored).size).toBe(1_000);
    expect(summary.candidateInstances).toBe(1_000);
    expect(summary.unscoredInstances).toBe(0);
    expect(summary.failedRequests).toBe(0);
    // One probe per worker at most (they start together), then Predict by the split with its resends.
    expect(summary.routedRequests).toBe(predictor.routed);
    expect(summary.routedRequests).toBeGreaterThan(0);
    expect(summary.routedRequests).toBeLessThanOrEqual(options.concurrency);
    expect(summary.requests).toBe(predictor.routed + predictor.requests);
    expect(summary.resends).toBeGreaterThan(300);
    expect(summary.instancesServedByOthers).toBeGreaterThan(3_000);
  });

  it.each([1, 3, 8])("never has more than %i requests in flight", async (concurrency) => {
    const predictor = new SplitEndpoint({ serving: 50, candidate: 50 });
    await scoreCandidate(
      numbers(500),
      predictor,
      { ...options, concurrency },
      { candidate: () => undefined },
    );
    expect(predictor.maxInFlight).toBe(concurrency);
  });

  it("pulls golden items only as workers free up", async () => {
    let pulled = 0;
    let maxAhead = 0;
    let scoredCount = 0;
    async function* counted(): AsyncGenerator<number[]> {
      for (let i = 0; i < 2_000; i++) {
        pulled++;
        maxAhead = Math.max(maxAhead, pulled - scoredCount);
        yield [i];
      }
    }
    const predictor = new SplitEndpoint({ serving: 80, candidate: 20 });
    await scoreCandidate(counted(), predictor, options, {
      candidate: (items) => {
        scoredCount += items.length;
      },
    });
    // At most `concurrency` batches are held, plus the one being filled.
    expect(maxAhead).toBeLessThanOrEqual(options.batchSize * (options.concurrency + 1));
  });

  it("gives a batch up after the per-batch bound and reports it unscored", async () => {
    const predictor = new SplitEndpoint({ serving: 100, candidate: 0 });
    const summary = await scoreCandidate(
      numbers(25),
      predictor,
      { ...options, maxSendsPerBatch: 4 },
      { candidate: () => undefined },
    );
    expect(summary.requests).toBe(3 * 4);
    expect(summary.unscoredInstances).toBe(25);
    expect(summary.candidateInstances).toBe(0);
    expect(summary.resendBudgetExhausted).toBe(false);
  });

  it("stops re-sending when the whole run's budget is spent", async () => {
    const predictor = new SplitEndpoint({ serving: 100, candidate: 0 });
    const summary = await scoreCandidate(
      numbers(100),
      predictor,
      { ...options, maxResends: 5, concurrency: 1 },
      { candidate: () => undefined },
    );
    expect(summary.resends).toBe(5);
    expect(summary.requests).toBe(10 + 5);
    expect(summary.resendBudgetExhausted).toBe(true);
    expect(summary.unscoredInstances).toBe(100);
  });

  it("isolates refused instances by splitting the batch, so one bad row costs one row", async () => {
    const predictor = new SplitEndpoint(
      { candidate: 100 },
      1,
      (instance) => instance === 13 || instance === 14,
    );
    const scored: number[] = [];
    const summary = await scoreCandidate(numbers(40), predictor, options, {
      candidate: (items) => scored.push(...(items as number[])),
    });
    expect(scored.sort((a, b) => a - b)).toEqual(
      Array.from({ length: 40 }, (_, i) => i).filter((i) => i !== 13 && i !== 14),
    );
    expect(summary.refusedInstances).toBe(2);
    expect(summary.unscoredInstances).toBe(2);
    expect(summary.firstError).toMatchObject({ message: "Predict failed: bad instance" });
  });

  it("retries a transient error, then carries on", async () => {
    const inner = new SplitEndpoint({ candidate: 100 });
    let failures = 2;
    const flaky: ServingPredictor = {
      predict: async (e, instances) => {
        if (failures-- > 0) throw new TransientError("Predict failed: UNAVAILABLE");
        return inner.predict(e, instances);
      },
    };
    const sleeps: number[] = [];
    const summary = await scoreCandidate(
      numbers(30),
      flaky,
      { ...options, concurrency: 1, sleep: async (attempt) => void sleeps.push(attempt) },
      { candidate: () => undefined },
    );
    expect(sleeps).toEqual([0, 1]);
    expect(summary.failedRequests).toBe(2);
    expect(summary.candidateInstances).toBe(30);
  });

  it("abandons the run when transient errors persist, so the step is redelivered", async () => {
    let calls = 0;
    const batchesTried = new Set<unknown>();
    const down: ServingPredictor = {
      predict: async (_e, instances) => {
        calls++;
        batchesTried.add(instances[0]);
        await new Promise((resolve) => setImmediate(resolve));
        throw new TransientError("Predict failed: UNAVAILABLE");
      },
    };
    await expect(
      scoreCandidate(numbers(1_000), down, { ...options, concurrency: 2 }, { candidate: () => undefined }),
    ).rejects.toBeInstanceOf(TransientError);
    // Each worker tried its batch at most 1 + 3 times, and nobody started another batch.
    expect(batchesTried).toEqual(new Set([0, 10]));
    expect(calls).toBeGreaterThanOrEqual(4);
    expect(calls).toBeLessThanOrEqual(2 * 4);
  });

  it("abandons the run on a permanent error other than a refused instance", async () => {
    const denied: ServingPredictor = {
      predict: async () => {
        throw new UpstreamError("Predict failed: PERMISSION_DENIED", {
          details: { grpcCode: GrpcCode.PERMISSION_DENIED },
        });
      },
    };
    await expect(
      scoreCandidate(numbers(100), denied, options, { candidate: () => undefined }),
    ).rejects.toThrow(/PERMISSION_DENIED/);
  });

  it("propagates a failure to read the golden set", async () => {
    async function* broken(): AsyncGenerator<number[]> {
      yield [1];
      throw new Error("stream reset");
    }
    await expect(
      scoreCandidate(broken(), new SplitEndpoint({ candidate: 100 }), options, {
        candidate: () => undefined,
      }),
    ).rejects.toThrow("stream reset");
  });
});

describe("batchesOf", () => {
  it("groups items, the last batch shorter", async () => {
    const out: number[][] = [];
    for await (const batch of batchesOf(numbers(7), 3)) out.push(batch);
    expect(out).toEqual([[0, 1, 2], [3, 4, 5], [6]]);
  });
});

describe("sendsPerBatchBound", () => {
  it.each([
    [100, 1],
    [50, 20],
    [10, 132],
    [1, 1375],
  ])("for a %i %% canary is %i", (percent, bound) => {
    expect(sendsPerBatchBound(percent)).toBe(bound);
    if (percent < 100) expect((1 - percent / 100) ** bound).toBeLessThanOrEqual(1e-6);
  });
});
