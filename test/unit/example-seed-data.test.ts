import { describe, expect, it } from "vitest";
import { parseRowsJsonl } from "../../examples/fraud-detector/dataset.js";
import { memoryObjectIO } from "../../examples/fraud-detector/memory-object-io.js";
import type { ObjectIO } from "../../examples/fraud-detector/object-io.js";
import {
  buildExampleObjects,
  EXAMPLE_OBJECTS,
  seedExampleObjects,
} from "../../examples/fraud-detector/seed-data.js";

const BUCKET = "modelgate-artifacts";
const small = { trainRows: 200, goldenRows: 50 };

describe("buildExampleObjects", () => {
  it("builds the training, shifted-training, golden and lost-labels objects deterministically", () => {
    const objects = buildExampleObjects(small);
    expect(objects.map((o) => o.name)).toEqual([
      "datasets/fraud-detector/train.jsonl",
      "datasets/fraud-detector/train-shifted.jsonl",
      "golden/fraud-detector/golden.jsonl",
      "datasets/fraud-detector/train-lost-labels.jsonl",
    ]);
    expect(buildExampleObjects(small)).toEqual(objects);
    expect(parseRowsJsonl(objects[0]?.contents ?? "")).toHaveLength(200);
    expect(objects[0]?.contents).not.toBe(objects[1]?.contents);
    expect(objects[2]?.contents.trimEnd().split("\n")).toHaveLength(50);
  });

  it("loses a share of the normal set's fraud labels and changes nothing else", () => {
    const [train, , , lost] = buildExampleObjects();
    const normalRows = parseRowsJsonl(train?.contents ?? "");
    const lostRows = parseRowsJsonl(lost?.contents ?? "");
    expect(lostRows.map(({ label, ...features }) => features)).toEqual(
      normalRows.map(({ label, ...features }) => features),
    );
    const fraud = normalRows.filter((r) => r.label === 1).length;
    const kept = lostRows.filter((r) => r.label === 1).length;
    expect(lostRows.every((r, i) => r.label <= (normalRows[i]?.label ?? 0))).toBe(true);
    // 70 % of the fraud labels lost, give or take what chance does to a few hundred rows.
    expect(1 - kept / fraud).toBeGreaterThan(0.6);
    expect(1 - kept / fraud).toBeLessThan(0.8);
  });

  it("defaults to 4,000 training rows and 1,000 golden rows", () => {
    const [train, , golden] = buildExampleObjects();
    expect(train?.contents.trimEnd().split("\n")).toHaveLength(4000);
    expect(golden?.contents.trimEnd().split("\n")).toHaveLength(1000);
  });
});

describe("seedExampleObjects", () => {
  it("writes every object once, then nothing on a second run", async () => {
    const io = memoryObjectIO();
    const first = await seedExampleObjects(io, BUCKET, small);
    expect(first.every((o) => o.written)).toBe(true);
    expect(io.writes).toEqual(Object.values(EXAMPLE_OBJECTS).map((name) => `gs://${BUCKET}/${name}`));
    expect(io.objects.get(`gs://${BUCKET}/${EXAMPLE_OBJECTS.golden}`)?.contentType).toBe(
      "application/x-ndjson",
    );

    const second = await seedExampleObjects(io, BUCKET, small);
    expect(second.map((o) => o.written)).toEqual([false, false, false, false]);
    expect(io.writes).toHaveLength(4);
  });

  it("replaces an object whose bytes differ", async () => {
    const io = memoryObjectIO({ [`gs://${BUCKET}/${EXAMPLE_OBJECTS.golden}`]: "stale\n" });
    const outcome = await seedExampleObjects(io, BUCKET, small);
    expect(outcome.find((o) => o.name === EXAMPLE_OBJECTS.golden)?.written).toBe(true);
    expect(io.objects.get(`gs://${BUCKET}/${EXAMPLE_OBJECTS.golden}`)?.data.toString()).not.toBe("stale\n");
  });

  it("passes on errors other than a missing object", async () => {
    const failing: ObjectIO = {
      read: async () => {
        throw new Error("503 backend unavailable");
      },
      write: async () => {},
    };
    await expect(seedExampleObjects(failing, BUCKET, small)).rejects.toThrow("503 backend unavailable");
  });
});
