import { ArtifactError, NotFoundError } from "../../shared/errors.js";
import type { BlobStore } from "../../shared/ports.js";

/** One labelled golden example: what to send to the endpoint and the answer it should give. */
export interface GoldenExample {
  instance: unknown;
  label: string | number | boolean;
}

/** A golden line that could not be used, with its 1-based line number. */
export interface BadLine {
  line: number;
  reason: string;
}

/** What the golden stream saw, filled in while it is read. */
export interface GoldenTally {
  /** Non-blank lines, good and bad. */
  lines: number;
  examples: number;
  badLines: number;
  /** The first few bad lines, for the report (the count above has them all). */
  badLineSamples: BadLine[];
}

const badLineSampleLimit = 20;
const newline = 0x0a;

/** An empty tally to pass to `goldenExamples`. */
export function newGoldenTally(): GoldenTally {
  return { lines: 0, examples: 0, badLines: 0, badLineSamples: [] };
}

/**
 * Splits a byte stream into lines, yielding the lines each chunk completes (one await per chunk, not per line:
 * a million-row golden set would otherwise spend its time in promise hops). Splitting bytes rather than decoded
 * strings keeps a UTF-8 character that straddles two chunks intact; only a chunk's unfinished tail is kept.
 */
export async function* jsonLines(chunks: AsyncIterable<Buffer>): AsyncGenerator<string[]> {
  let rest: Buffer | undefined;
  for await (const chunk of chunks) {
    const lines: string[] = [];
    let start = 0;
    let end = chunk.indexOf(newline);
    if (end !== -1 && rest !== undefined) {
      lines.push(lineText(Buffer.concat([rest, chunk.subarray(0, end)])));
      rest = undefined;
      start = end + 1;
      end = chunk.indexOf(newline, start);
    }
    while (end !== -1) {
      lines.push(lineText(chunk.subarray(start, end)));
      start = end + 1;
      end = chunk.indexOf(newline, start);
    }
    if (start < chunk.length) {
      const tail = chunk.subarray(start);
      // Copy: the stream may reuse the chunk's memory once we ask for the next one.
      rest = rest === undefined ? Buffer.from(tail) : Buffer.concat([rest, tail]);
    }
    if (lines.length > 0) yield lines;
  }
  if (rest !== undefined && rest.length > 0) yield [lineText(rest)];
}

function lineText(bytes: Buffer): string {
  const text = bytes.toString("utf8");
  return text.endsWith("\r") ? text.slice(0, -1) : text;
}

/**
 * Parses groups of golden JSONL lines (`{"instance": …, "label": …}`) into groups of examples. Blank lines are
 * skipped; a line that is not such an object is counted in `tally` and skipped, never fatal: one bad line must
 * not stop a rollout's verification, and the verdict's coverage rule still fails a golden set that is mostly bad.
 * With a `limit`, only the first `limit` non-blank lines count (a rollout step's sample, deterministic).
 */
export async function* goldenExamples(
  lineGroups: AsyncIterable<readonly string[]>,
  tally: GoldenTally,
  limit = Number.POSITIVE_INFINITY,
): AsyncGenerator<GoldenExample[]> {
  let lineNumber = 0;
  for await (const lines of lineGroups) {
    const examples: GoldenExample[] = [];
    for (const line of lines) {
      lineNumber++;
      if (line.trim() === "") continue;
      if (tally.lines >= limit) break;
      tally.lines++;
      const parsed = parseGoldenLine(line);
      if (typeof parsed === "string") {
        tally.badLines++;
        if (tally.badLineSamples.length < badLineSampleLimit) {
          tally.badLineSamples.push({ line: lineNumber, reason: parsed });
        }
        continue;
      }
      tally.examples++;
      examples.push(parsed);
    }
    if (examples.length > 0) yield examples;
    // A rollout step's sample is the first `limit` lines: the rest of the object is not read.
    if (tally.lines >= limit) return;
  }
}

/** A golden example, or why the line is not one. */
export function parseGoldenLine(line: string): GoldenExample | string {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    return `not valid JSON (${(error as Error).message})`;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return 'expected an object {"instance": …, "label": …}';
  }
  const { instance, label } = value as Record<string, unknown>;
  if (instance === undefined || instance === null) return 'missing "instance"';
  if (typeof label !== "string" && typeof label !== "number" && typeof label !== "boolean") {
    return '"label" must be a string, number or boolean';
  }
  return { instance, label };
}

/**
 * The golden set's examples, streamed from the bucket in groups (one per chunk read). A missing object is a permanent ArtifactError naming it:
 * retrying cannot make a golden set appear, and the operator must know which object to upload.
 */
export async function* streamGoldenSet(
  blobs: BlobStore,
  objectName: string,
  tally: GoldenTally,
  sampleSize?: number,
): AsyncGenerator<GoldenExample[]> {
  try {
    yield* goldenExamples(jsonLines(blobs.readStream(objectName)), tally, sampleSize);
  } catch (error) {
    if (error instanceof NotFoundError) {
      throw new ArtifactError(
        `the golden set gs://${blobs.bucket}/${objectName} does not exist (verification.goldenSet); upload it before verifying`,
        { cause: error, details: { object: `gs://${blobs.bucket}/${objectName}` } },
      );
    }
    throw error;
  }
}
