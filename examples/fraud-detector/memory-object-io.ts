import { type ObjectIO, ObjectNotFoundError, parseGsUri } from "./object-io.js";

/** An in-memory ObjectIO for tests: objects keyed by gs:// URI, writes recorded in order. */
export function memoryObjectIO(initial: Record<string, Buffer | string> = {}): ObjectIO & {
  objects: Map<string, { data: Buffer; contentType: string }>;
  writes: string[];
} {
  const objects = new Map<string, { data: Buffer; contentType: string }>();
  for (const [uri, data] of Object.entries(initial)) {
    parseGsUri(uri);
    objects.set(uri, { data: Buffer.from(data), contentType: "application/octet-stream" });
  }
  const writes: string[] = [];
  return {
    objects,
    writes,
    async read(uri) {
      parseGsUri(uri);
      const object = objects.get(uri);
      if (!object) throw new ObjectNotFoundError(uri);
      return Buffer.from(object.data);
    },
    async write(uri, data, contentType) {
      parseGsUri(uri);
      objects.set(uri, { data: Buffer.from(data), contentType });
      writes.push(uri);
    },
  };
}
