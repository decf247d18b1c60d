import { loadOnce } from "./lazy-load.js";
import type { BlobStore, StoredObject } from "./ports.js";

/**
 * A BlobStore whose real store (and the client library behind it) is loaded on its first call, once; a failed load
 * is not kept, so the next call tries again. The Cloud Storage library is the larger part of an ingress bundle, and
 * a request refused before authentication never calls the bucket: with the library behind a dynamic import in its
 * own chunk, a cold instance parses it only once a request needs it (docs/performance.md, "Cold start").
 */
export class LazyBlobStore implements BlobStore {
  private readonly loaded: () => Promise<BlobStore>;

  constructor(
    readonly bucket: string,
    load: () => Promise<BlobStore>,
  ) {
    this.loaded = loadOnce(load);
  }

  async read(name: string): Promise<StoredObject | null> {
    return (await this.loaded()).read(name);
  }

  async *readStream(name: string): AsyncIterable<Buffer> {
    yield* (await this.loaded()).readStream(name);
  }

  async write(
    name: string,
    data: Buffer | string,
    options?: { contentType?: string; ifGenerationMatch?: string },
  ): Promise<{ written: true; generation: string } | { written: false }> {
    return (await this.loaded()).write(name, data, options);
  }

  async list(prefix: string): Promise<Array<{ name: string; generation: string }>> {
    return (await this.loaded()).list(prefix);
  }

  async delete(name: string, options?: { ifGenerationMatch?: string }): Promise<boolean> {
    return (await this.loaded()).delete(name, options);
  }
}
