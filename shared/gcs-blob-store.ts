import type { Bucket, Storage } from "@google-cloud/storage";
import { NotFoundError } from "./errors.js";
import { classifyClientError } from "./grpc-errors.js";
import type { BlobStore, BlobWriteOptions, BlobWriteResult, StoredObject } from "./ports.js";

/** The artifact bucket on Cloud Storage, through @google-cloud/storage. */
export class GcsBlobStore implements BlobStore {
  private readonly handle: Bucket;

  constructor(
    storage: Storage,
    readonly bucket: string,
  ) {
    this.handle = storage.bucket(bucket);
  }

  async read(name: string): Promise<StoredObject | null> {
    const file = this.handle.file(name);
    try {
      // One metadata read fixes the generation, then the download pins it, so data and generation agree.
      const [metadata] = await file.getMetadata();
      const generation = String(metadata.generation);
      const [data] = await this.handle.file(name, { generation }).download();
      return { name, generation, data };
    } catch (error) {
      if (statusOf(error) === 404) return null;
      throw classifyClientError(error, `reading gs://${this.bucket}/${name}`);
    }
  }

  async *readStream(name: string): AsyncIterable<Buffer> {
    const stream = this.handle.file(name).createReadStream({ validation: false });
    try {
      for await (const chunk of stream) yield chunk as Buffer;
    } catch (error) {
      if (statusOf(error) === 404) throw new NotFoundError(`No such object: gs://${this.bucket}/${name}`);
      throw classifyClientError(error, `reading gs://${this.bucket}/${name}`);
    }
  }

  async write(name: string, data: Buffer | string, options: BlobWriteOptions = {}): Promise<BlobWriteResult> {
    const file = this.handle.file(name);
    try {
      await file.save(typeof data === "string" ? Buffer.from(data) : data, {
        resumable: false,
        contentType: options.contentType ?? "application/octet-stream",
        ...(options.ifGenerationMatch === undefined
          ? {}
          : { preconditionOpts: { ifGenerationMatch: Number(options.ifGenerationMatch) } }),
      });
      return { written: true, generation: String(file.metadata.generation) };
    } catch (error) {
      if (statusOf(error) === 412) return { written: false };
      throw classifyClientError(error, `writing gs://${this.bucket}/${name}`);
    }
  }

  async list(prefix: string): Promise<Array<{ name: string; generation: string }>> {
    try {
      const [files] = await this.handle.getFiles({ prefix, autoPaginate: true });
      return files
        .map((f) => ({ name: f.name, generation: String(f.metadata.generation) }))
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    } catch (error) {
      throw classifyClientError(error, `listing gs://${this.bucket}/${prefix}`);
    }
  }

  async delete(name: string, options: { ifGenerationMatch?: string } = {}): Promise<boolean> {
    try {
      await this.handle.file(name).delete({
        ...(options.ifGenerationMatch === undefined
          ? {}
          : { ifGenerationMatch: Number(options.ifGenerationMatch) }),
      });
      return true;
    } catch (error) {
      const status = statusOf(error);
      if (status === 404 || status === 412) return false;
      throw classifyClientError(error, `deleting gs://${this.bucket}/${name}`);
    }
  }
}

function statusOf(error: unknown): number | undefined {
  const code = (error as { code?: unknown }).code;
  return typeof code === "number" ? code : undefined;
}
