import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { StorageLog } from "./log.js";
import type { StorageBackend } from "./storage-backend.js";
import type { StoredBucket, StoredObject } from "./stored-types.js";

// Layout: <dir>/buckets/<bucket>/bucket.json
//         <dir>/buckets/<bucket>/objects/<sha256(name)>.json          metadata (holds the real name)
//         <dir>/buckets/<bucket>/objects/<sha256(name)>.<generation>.data
// Object names can be 1024 bytes with any character, so files are named by hash; data files carry
// the generation so the metadata rename is the single atomic switch from old bytes to new.

const fileKey = (name: string): string => createHash("sha256").update(name).digest("hex");

/** Writes via a temp file and rename, so a crash never leaves a half-written file in place. */
function writeAtomic(path: string, data: Buffer | string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

/** Persists buckets and objects under `dir`, so they survive a restart. */
export function directoryBackend(dir: string, log: StorageLog): StorageBackend {
  const bucketsDir = join(dir, "buckets");
  mkdirSync(bucketsDir, { recursive: true });
  const objectsDir = (bucket: string): string => join(bucketsDir, bucket, "objects");
  const metaPath = (o: { bucket: string; name: string }): string =>
    join(objectsDir(o.bucket), `${fileKey(o.name)}.json`);
  const dataPath = (o: StoredObject): string =>
    join(objectsDir(o.bucket), `${fileKey(o.name)}.${o.generation}.data`);

  function readJson<T>(path: string): T | undefined {
    try {
      return JSON.parse(readFileSync(path, "utf8")) as T;
    } catch (error) {
      log({
        severity: "WARNING",
        message: "skipping unreadable file in storage dir",
        path,
        error: String(error),
      });
      return undefined;
    }
  }

  return {
    load() {
      const buckets: StoredBucket[] = [];
      const objects: StoredObject[] = [];
      for (const entry of readdirSync(bucketsDir, { withFileTypes: true })) {
        if (!entry.isDirectory()) continue;
        const bucket = readJson<StoredBucket>(join(bucketsDir, entry.name, "bucket.json"));
        if (bucket === undefined) continue;
        buckets.push(bucket);
        const odir = objectsDir(bucket.name);
        if (!existsSync(odir)) continue;
        for (const file of readdirSync(odir)) {
          if (!file.endsWith(".json")) continue;
          const object = readJson<StoredObject>(join(odir, file));
          if (object !== undefined && existsSync(dataPath(object))) objects.push(object);
        }
      }
      return { buckets, objects };
    },
    saveBucket(bucket) {
      mkdirSync(objectsDir(bucket.name), { recursive: true });
      writeAtomic(join(bucketsDir, bucket.name, "bucket.json"), JSON.stringify(bucket, null, 2));
    },
    removeBucket(name) {
      rmSync(join(bucketsDir, name), { recursive: true, force: true });
    },
    saveObject(object, data, previous) {
      if (data !== undefined) writeAtomic(dataPath(object), data);
      writeAtomic(metaPath(object), JSON.stringify(object, null, 2));
      if (data !== undefined && previous !== undefined && previous.generation !== object.generation) {
        rmSync(dataPath(previous), { force: true });
      }
    },
    removeObject(object) {
      rmSync(metaPath(object), { force: true });
      rmSync(dataPath(object), { force: true });
    },
    readObject(object) {
      return readFileSync(dataPath(object));
    },
  };
}
