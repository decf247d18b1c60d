import { randomBytes } from "node:crypto";
import { badRequest } from "./errors.js";
import type { InsertMetadata } from "./object-metadata.js";
import type { Preconditions } from "./preconditions.js";
import type { StoredObject } from "./stored-types.js";

/** What a PUT to a resumable session says about its bytes, from its Content-Range header. */
// "status": `bytes STAR/TOTAL` or `bytes STAR/STAR`, no bytes: a status query (or finalize at TOTAL).
// "data": `bytes A-B/TOTAL` or `bytes A-STAR/TOTAL`; `end` undefined when the body runs to the end.
// (STAR is "*", spelled out because it cannot appear before a slash inside a block comment.)
export type ContentRange =
  | { kind: "status"; total: number | undefined }
  | { kind: "data"; start: number; end: number | undefined; total: number | undefined };

// Parses Content-Range on a resumable PUT. The client sends `bytes 0-STAR/STAR` for a
// single-request upload (the body is the whole rest of the object), `bytes A-B/STAR` for a chunk,
// `bytes A-B/N` for the last chunk and `bytes STAR/STAR` to ask where the upload stands.
// No header at all means the body is the whole upload.
/** Parses the Content-Range header of a resumable-upload PUT, or throws a 400. */
export function parseContentRange(header: string | undefined): ContentRange {
  if (header === undefined) return { kind: "data", start: 0, end: undefined, total: undefined };
  const match = /^bytes\s+(?:\*|(\d+)-(-?\d+|\*))\/(\d+|\*)$/.exec(header.trim());
  if (match === null) throw badRequest(`Malformed Content-Range header: '${header}'.`);
  const [, start, end, total] = match;
  const totalBytes = total === "*" || total === undefined ? undefined : Number(total);
  if (start === undefined) return { kind: "status", total: totalBytes };
  return {
    kind: "data",
    start: Number(start),
    end: end === "*" || end === undefined ? undefined : Number(end),
    total: totalBytes,
  };
}

/** An upload session between the initiating POST and the final PUT. */
export interface ResumableSession {
  id: string;
  bucket: string;
  name: string;
  insert: InsertMetadata;
  preconditions: Preconditions;
  uploadType: "resumable";
  chunks: Buffer[];
  received: number;
  /** Set once finalized, so a repeated final PUT answers with the same object. */
  result?: StoredObject;
}

/** In-memory resumable upload sessions (they do not survive a restart). */
export class ResumableSessions {
  readonly #sessions = new Map<string, ResumableSession>();

  /** Opens a session and returns it; the id goes into the Location URL as `upload_id`. */
  open(init: Omit<ResumableSession, "id" | "chunks" | "received" | "uploadType">): ResumableSession {
    const session: ResumableSession = {
      ...init,
      id: randomBytes(24).toString("base64url"),
      uploadType: "resumable",
      chunks: [],
      received: 0,
    };
    this.#sessions.set(session.id, session);
    return session;
  }

  get(id: string): ResumableSession | undefined {
    return this.#sessions.get(id);
  }

  cancel(id: string): boolean {
    return this.#sessions.delete(id);
  }

  /**
   * Appends the bytes of one PUT. Bytes the server already has (a client resending after a lost
   * response) are skipped; a gap is a 400.
   */
  append(session: ResumableSession, range: ContentRange & { kind: "data" }, body: Buffer): void {
    if (range.end !== undefined && range.end - range.start + 1 !== Math.max(0, body.length)) {
      throw badRequest(
        `Content-Range bytes ${range.start}-${range.end} names ${range.end - range.start + 1} bytes but the body has ${body.length}.`,
      );
    }
    if (range.start > session.received) {
      throw badRequest(
        `Content-Range starts at byte ${range.start} but the session has only ${session.received} bytes.`,
      );
    }
    const fresh = body.subarray(session.received - range.start);
    if (fresh.length > 0) {
      session.chunks.push(Buffer.from(fresh));
      session.received += fresh.length;
    }
  }

  /** The session's bytes so far, as one buffer. */
  data(session: ResumableSession): Buffer {
    const data = Buffer.concat(session.chunks);
    session.chunks = [data];
    return data;
  }
}
