import type { StorageBackend } from "./storage-backend.js";
import type { StoredObject } from "./stored-types.js";

const key = (o: StoredObject): string => `${o.bucket}\n${o.name}`;

/** Keeps object bytes in memory; metadata lives only in the store's index. */
export function memoryBackend(): StorageBackend {
  const blobs = new Map<string, Buffer>();
  return {
    load: () => ({ buckets: [], objects: [] }),
    saveBucket: () => {},
    removeBucket: () => {},
    saveObject(object, data) {
      if (data !== undefined) blobs.set(key(object), data);
    },
    removeObject(object) {
      blobs.delete(key(object));
    },
    readObject(object) {
      return blobs.get(key(object)) ?? Buffer.alloc(0);
    },
  };
}
