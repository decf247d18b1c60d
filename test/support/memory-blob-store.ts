import { NotFoundError } from "../../shared/errors.js";
import type { BlobStore, BlobWriteOptions, BlobWriteResult, StoredObject } from "../../shared/ports.js";

/** An in-memory BlobStore with Cloud Storage's generation semantics, for unit tests of the logic above it. */
export class MemoryBlobStore implements BlobStore {
  readonly objects = new Map<string, StoredObject>();
  private nextGeneration = 1_700_000_000_000_000;

  constructor(readonly bucket = "test-bucket") {}

  async read(name: string): Promise<StoredObject | null> {
    const found = this.objects.get(name);
    return found ? { ...found, data: Buffer.from(found.data) } : null;
  }

  async *readStream(name: string): AsyncIterable<Buffer> {
    const found = this.objects.get(name);
    if (!found) throw new NotFoundError(`No such object: ${this.bucket}/${name}`);
    // Small chunks so line splitting across chunk boundaries is exercised.
    for (let i = 0; i < found.data.length; i += 4096) yield found.data.subarray(i, i + 4096);
  }

  async write(name: string, data: Buffer | string, options: BlobWriteOptions = {}): Promise<BlobWriteResult> {
    const current = this.objects.get(name);
    if (
      options.ifGenerationMatch !== undefined &&
      (current?.generation ?? "0") !== options.ifGenerationMatch
    ) {
      return { written: false };
    }
    const generation = String(this.nextGeneration++);
    this.objects.set(name, { name, generation, data: Buffer.from(data) });
    return { written: true, generation };
  }

  async list(prefix: string): Promise<Array<{ name: string; generation: string }>> {
    return [...this.objects.values()]
      .filter((o) => o.name.startsWith(prefix))
      .map((o) => ({ name: o.name, generation: o.generation }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async delete(name: string, options: { ifGenerationMatch?: string } = {}): Promise<boolean> {
    const current = this.objects.get(name);
    if (!current) return false;
    if (options.ifGenerationMatch !== undefined && current.generation !== options.ifGenerationMatch)
      return false;
    this.objects.delete(name);
    return true;
  }
}
