import { describe, expect, it } from "vitest";
import {
  goldenExamples,
  jsonLines,
  newGoldenTally,
  parseGoldenLine,
  streamGoldenSet,
} from "../../functions/verify-deployment/golden-stream.js";
import { ArtifactError } from "../../shared/errors.js";
import { MemoryBlobStore } from "../support/memory-blob-store.js";

async function* chunked(bytes: Buffer, cuts: number[]): AsyncGenerator<Buffer> {
  let start = 0;
  for (const cut of [...cuts, bytes.length]) {
    yield bytes.subarray(start, cut);
    start = cut;
  }
}

async function collect<T>(groups: AsyncIterable<readonly T[]>): Promise<T[]> {
  const out: T[] = [];
  for await (const group of groups) out.push(...group);
  return out;
}

describe("jsonLines", () => {
  const text =
    '{"instance":{"city":"Zürich"},"label":"ü"}\r\n{"instance":[1],"label":0}\n\n{"instance":2,"label":1}';
  const bytes = Buffer.from(text);
  const expected = [
    '{"instance":{"city":"Zürich"},"label":"ü"}',
    '{"instance":[1],"label":0}',
    "",
    '{"instance":2,"label":1}',
  ];

  it("gives the same lines wherever the chunks split, inside a UTF-8 character included", async () => {
    for (let cut = 0; cut <= bytes.length; cut++) {
      expect(await collect(jsonLines(chunked(bytes, [cut])))).toEqual(expected);
    }
  });

  it("joins a line spread over many one-byte chunks", async () => {
    const cuts = Array.from({ length: bytes.length - 1 }, (_, i) => i + 1);
    expect(await collect(jsonLines(chunked(bytes, cuts)))).toEqual(expected);
  });

  it("does not invent a last empty line after a trailing newline", async () => {
    expect(await collect(jsonLines(chunked(Buffer.from("a\nb\n"), [2])))).toEqual(["a", "b"]);
  });
});

describe("goldenExamples", () => {
  it("counts bad lines with their line numbers and keeps going", async () => {
    const lines = [
      '{"instance":{"a":1},"label":1}',
      "not json",
      "",
      '{"label":1}',
      '{"instance":{"a":2},"label":{"x":1}}',
      "[1,2]",
      '{"instance":{"a":3},"label":"fraud"}',
    ];
    const tally = newGoldenTally();
    async function* source() {
      // Two groups, as two chunks would give them: line numbers continue across groups.
      yield lines.slice(0, 3);
      yield lines.slice(3);
    }
    const examples = await collect(goldenExamples(source(), tally));
    expect(examples).toEqual([
      { instance: { a: 1 }, label: 1 },
      { instance: { a: 3 }, label: "fraud" },
    ]);
    expect(tally).toMatchObject({ lines: 6, examples: 2, badLines: 4 });
    expect(tally.badLineSamples.map((b) => b.line)).toEqual([2, 4, 5, 6]);
    expect(tally.badLineSamples[0]?.reason).toMatch(/not valid JSON/);
    expect(tally.badLineSamples[1]?.reason).toBe('missing "instance"');
  });

  it.each([
    ["null", /expected an object/],
    ['{"instance":null,"label":1}', /missing "instance"/],
    ['{"instance":1}', /"label" must be/],
    ["{", /not valid JSON/],
  ])("refuses %s", (line, reason) => {
    expect(parseGoldenLine(line)).toMatch(reason);
  });
});

describe("streamGoldenSet", () => {
  it("streams the object's examples across the store's chunk boundaries", async () => {
    const blobs = new MemoryBlobStore("artifacts");
    const rows = Array.from({ length: 2_000 }, (_, i) => ({
      instance: { i, pad: "x".repeat(i % 7) },
      label: i % 2,
    }));
    await blobs.write("golden/m/golden.jsonl", rows.map((r) => JSON.stringify(r)).join("\n"));
    const tally = newGoldenTally();
    const examples = await collect(streamGoldenSet(blobs, "golden/m/golden.jsonl", tally));
    expect(examples).toEqual(rows);
    expect(tally).toMatchObject({ lines: 2_000, examples: 2_000, badLines: 0 });
  });

  it("reports a missing golden set as a permanent error naming the object", async () => {
    const blobs = new MemoryBlobStore("artifacts");
    const error = await collect(streamGoldenSet(blobs, "golden/m/missing.jsonl", newGoldenTally())).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ArtifactError);
    expect((error as ArtifactError).retryable).toBe(false);
    expect((error as Error).message).toContain("gs://artifacts/golden/m/missing.jsonl");
  });
});
