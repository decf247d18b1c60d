/** The commit status context of one model's release: a later status of the same context replaces the earlier. */
export function releaseStatusContext(model: string): string {
  return `modelgate/release/${model}`;
}

/** The context of a status about the releases file as a whole (it could not be read as one). */
export const releasesFileStatusContext = "modelgate/releases";

/**
 * The browser address of a `gs://bucket/object` report (Cloud Storage's authenticated URL: whoever may read the
 * bucket sees it), for a commit status's link; undefined for anything else.
 */
export function reportLink(gsUri: string): string | undefined {
  const match = /^gs:\/\/([^/]+)\/(.+)$/.exec(gsUri);
  return match ? `https://storage.cloud.google.com/${match[1]}/${match[2]}` : undefined;
}
