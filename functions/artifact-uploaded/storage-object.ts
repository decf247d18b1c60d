import * as z from "zod";
import { ValidationError } from "../../shared/errors.js";
import { issuesToText } from "../../shared/zod-issues.js";

/** The CloudEvent type Eventarc sends when an object is written (created or overwritten). */
export const finalizedEventType = "google.cloud.storage.object.v1.finalized";

// int64 fields: the proto3 JSON mapping writes them as decimal strings, some producers as JSON numbers.
const Int64 = z.union([
  z.string().regex(/^\d+$/, "a decimal integer"),
  z
    .number()
    .int()
    .nonnegative()
    .transform((n) => String(n)),
]);

/** The parts of StorageObjectData (google.events.cloud.storage.v1) modelgate reads. */
const StorageObjectData = z.looseObject({
  bucket: z.string().min(1),
  name: z.string().min(1),
  generation: Int64,
  metageneration: Int64.optional(),
  size: Int64.optional(),
});
export type StorageObjectData = z.infer<typeof StorageObjectData>;

/** Reads an event's data as StorageObjectData (an object, or JSON text); the wrong shape is a ValidationError. */
export function parseStorageObjectData(data: unknown): StorageObjectData {
  let value = data;
  if (typeof data === "string" || Buffer.isBuffer(data)) {
    try {
      value = JSON.parse(data.toString());
    } catch {
      throw new ValidationError("the event data is not JSON");
    }
  }
  const parsed = StorageObjectData.safeParse(value);
  if (!parsed.success) {
    throw new ValidationError(`the event data is not StorageObjectData: ${issuesToText(parsed.error)}`);
  }
  return parsed.data;
}

/** The bucket named by a Cloud Storage event source `//storage.googleapis.com/projects/_/buckets/<bucket>`. */
export function bucketOfSource(source: string): string | undefined {
  return /^\/\/storage\.googleapis\.com\/projects\/[^/]+\/buckets\/([^/]+)$/.exec(source)?.[1];
}
