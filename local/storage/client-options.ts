import type { StorageOptions } from "@google-cloud/storage";

/**
 * Options for `new Storage(...)` that talk to the local server without any Google auth.
 *
 * Why this is enough: with a custom `apiEndpoint` the client's request factory skips
 * google-auth-library unless `useAuthWithCustomEndpoint` is true, and a given `projectId` means it
 * never asks the auth library (or the metadata server) for one. Resumable uploads go through
 * their own code path, which uses plain gaxios (no auth) when the endpoint is not a Google domain.
 * The same holds for `STORAGE_EMULATOR_HOST=http://127.0.0.1:PORT` plus a `projectId`.
 */
export function localStorageClientOptions(url: string, projectId = "local-project"): StorageOptions {
  return { apiEndpoint: url, projectId, useAuthWithCustomEndpoint: false };
}
