import { ApiError, Storage } from "@google-cloud/storage";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type LocalStorageServer,
  localStorageClientOptions,
  type StorageAccess,
  startStorageServer,
} from "../../local/storage/index.js";

let server: LocalStorageServer;
const logs: Record<string, unknown>[] = [];

const send = (path: string, init: RequestInit = {}) => fetch(`${server.url}${path}`, init);
const upload = (query: string, init: RequestInit) =>
  send(`/upload/storage/v1/b/raw-bucket/o?${query}`, { method: "POST", ...init });

async function errorBody(
  response: Response,
): Promise<{ code: number; message: string; reason: string | undefined }> {
  const body = (await response.json()) as {
    error: { code: number; message: string; errors: { reason: string }[] };
  };
  return { code: body.error.code, message: body.error.message, reason: body.error.errors[0]?.reason };
}

beforeAll(async () => {
  server = await startStorageServer({ log: (entry) => logs.push(entry), maxBodyBytes: 1024 * 1024 });
  server.createBucket("raw-bucket");
  server.createBucket("raw-bucket"); // the convenience is idempotent
});

afterAll(async () => {
  await server.close();
});

describe("bad input gets a clear JSON error and the server stays up", () => {
  it.each([
    [
      "an unknown route",
      "/storage/v1/nothing/here",
      {},
      404,
      "Not Found: no route for GET /storage/v1/nothing/here",
    ],
    [
      "an unknown method on a known path",
      "/storage/v1/b/raw-bucket/o",
      { method: "PUT" },
      404,
      "no route for PUT",
    ],
    [
      "bad JSON on bucket insert",
      "/storage/v1/b?project=p",
      { method: "POST", body: "{not json" },
      400,
      "Request body is not valid JSON",
    ],
    [
      "a bucket insert without project",
      "/storage/v1/b",
      { method: "POST", body: JSON.stringify({ name: "abc" }) },
      400,
      "Required parameter: project",
    ],
    [
      "an invalid bucket name",
      "/storage/v1/b?project=p",
      { method: "POST", body: JSON.stringify({ name: "Bad_Name!" }) },
      400,
      "Invalid bucket name: 'Bad_Name!'",
    ],
    [
      "a bucket resource without a name",
      "/storage/v1/b?project=p",
      { method: "POST", body: JSON.stringify({ location: "EU" }) },
      400,
      "Invalid bucket resource: name",
    ],
    [
      "bad JSON on an object patch",
      "/storage/v1/b/raw-bucket/o/x",
      { method: "PATCH", body: "[" },
      400,
      "Request body is not valid JSON",
    ],
    [
      "a non-integer precondition",
      "/storage/v1/b/raw-bucket/o/x?ifGenerationMatch=abc",
      {},
      400,
      "ifGenerationMatch must be an integer",
    ],
    ["broken percent-encoding", "/storage/v1/b/raw-bucket/o/%E0%A4%A", {}, 400, "Malformed percent-encoding"],
    [
      "an unsupported alt",
      "/storage/v1/b/raw-bucket/o/seed.txt?alt=xml",
      {},
      400,
      "alt must be 'json' or 'media'",
    ],
    [
      "an upload without uploadType",
      "/upload/storage/v1/b/raw-bucket/o?name=x",
      { method: "POST" },
      400,
      "uploadType",
    ],
    [
      "a media upload without a name",
      "/upload/storage/v1/b/raw-bucket/o?uploadType=media",
      { method: "POST", body: "x" },
      400,
      "Required: object name",
    ],
    [
      "a multipart upload that is not multipart/related",
      "/upload/storage/v1/b/raw-bucket/o?uploadType=multipart&name=x",
      { method: "POST", body: "x", headers: { "content-type": "text/plain" } },
      400,
      "needs Content-Type multipart/related",
    ],
    [
      "a multipart upload with bad metadata JSON",
      "/upload/storage/v1/b/raw-bucket/o?uploadType=multipart",
      {
        method: "POST",
        headers: { "content-type": "multipart/related; boundary=XX" },
        body: "--XX\r\nContent-Type: application/json\r\n\r\n{oops\r\n--XX\r\nContent-Type: text/plain\r\n\r\nhi\r\n--XX--",
      },
      400,
      "Request body is not valid JSON",
    ],
    [
      "object metadata of the wrong type",
      "/upload/storage/v1/b/raw-bucket/o?uploadType=resumable&name=x",
      { method: "POST", body: JSON.stringify({ metadata: "flat" }) },
      400,
      "Invalid object metadata: metadata",
    ],
    [
      "an unknown resumable session",
      "/upload/storage/v1/b/raw-bucket/o?uploadType=resumable&upload_id=nope",
      { method: "PUT", body: "x" },
      404,
      "No such upload session: nope",
    ],
    [
      "a malformed Content-Range",
      "/upload/storage/v1/b/raw-bucket/o?uploadType=resumable&upload_id=nope",
      { method: "PUT", headers: { "content-range": "bytes=0-1" } },
      404,
      "No such upload session",
    ],
    [
      "an upload to a missing bucket",
      "/upload/storage/v1/b/missing-bucket/o?uploadType=media&name=x",
      { method: "POST", body: "x" },
      404,
      "The specified bucket does not exist.",
    ],
  ])("%s", async (_case, path, init: RequestInit, status, message) => {
    const response = await send(path, init);
    expect(response.status).toBe(status);
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    const error = await errorBody(response);
    expect(error.code).toBe(status);
    expect(error.message).toContain(message);
    expect(logs).toContainEqual(
      expect.objectContaining({ message: "request refused", status, error: error.message }),
    );
    // Still serving.
    expect((await send("/storage/v1/b/raw-bucket")).status).toBe(200);
  });

  it("refuses a body over the size limit with a 413", async () => {
    const response = await upload("uploadType=media&name=huge", { body: Buffer.alloc(2 * 1024 * 1024) });
    expect(response.status).toBe(413);
    expect((await send("/storage/v1/b/raw-bucket")).status).toBe(200);
  });
});

describe("the raw protocol", () => {
  it("media upload, then metadata and bytes (also without /storage/v1, as STORAGE_EMULATOR_HOST sends)", async () => {
    const response = await upload("uploadType=media&name=seed.txt", {
      body: "seed",
      headers: { "content-type": "text/plain" },
    });
    expect(response.status).toBe(200);
    const resource = (await response.json()) as Record<string, unknown>;
    expect(resource).toMatchObject({ name: "seed.txt", size: "4", contentType: "text/plain" });
    const media = await send("/b/raw-bucket/o/seed.txt?alt=media");
    expect(await media.text()).toBe("seed");
    expect(media.headers.get("x-goog-hash")).toBe(`crc32c=${resource.crc32c},md5=${resource.md5Hash}`);
    expect(media.headers.get("x-goog-generation")).toBe(resource.generation);
    expect(media.headers.get("x-goog-metageneration")).toBe("1");
    expect(media.headers.get("x-goog-stored-content-length")).toBe("4");
    const viaLink = await fetch(String(resource.mediaLink));
    expect(await viaLink.text()).toBe("seed");
  });

  it("answers 416 outside the object and 304 to a failed ifGenerationNotMatch read", async () => {
    const meta = (await (await send("/storage/v1/b/raw-bucket/o/seed.txt")).json()) as { generation: string };
    const outside = await send("/storage/v1/b/raw-bucket/o/seed.txt?alt=media", {
      headers: { range: "bytes=10-20" },
    });
    expect(outside.status).toBe(416);
    expect(outside.headers.get("content-range")).toBe("bytes */4");
    const unchanged = await send(
      `/storage/v1/b/raw-bucket/o/seed.txt?ifGenerationNotMatch=${meta.generation}`,
    );
    expect(unchanged.status).toBe(304);
    const changed = await send(
      `/storage/v1/b/raw-bucket/o/seed.txt?ifGenerationNotMatch=${BigInt(meta.generation) - 1n}`,
    );
    expect(changed.status).toBe(200);
  });

  it("resumable: 308 with Range per chunk, status query, final 200, repeated final PUT, gaps refused", async () => {
    const init = await upload("uploadType=resumable&name=session.bin", {
      body: JSON.stringify({ metadata: { from: "raw" } }),
      headers: { "content-type": "application/json", "x-upload-content-type": "application/x-raw" },
    });
    expect(init.status).toBe(200);
    const location = init.headers.get("location");
    expect(location).toContain("upload_id=");
    const put = (body: string, range: string) =>
      fetch(String(location), { method: "PUT", body, headers: { "content-range": range } });

    const first = await put("abcd", "bytes 0-3/*");
    expect(first.status).toBe(308);
    expect(first.headers.get("range")).toBe("bytes=0-3");
    const status = await put("", "bytes */*");
    expect(status.status).toBe(308);
    expect(status.headers.get("range")).toBe("bytes=0-3");
    const gap = await put("zz", "bytes 6-7/*");
    expect(gap.status).toBe(400);
    // A resent chunk overlapping what the server has is accepted from where it left off.
    const last = await put("cdefgh", "bytes 2-7/8");
    expect(last.status).toBe(200);
    const resource = (await last.json()) as Record<string, unknown>;
    expect(resource).toMatchObject({
      name: "session.bin",
      size: "8",
      contentType: "application/x-raw",
      metadata: { from: "raw" },
    });
    const again = await put("", "bytes */8");
    expect(again.status).toBe(200);
    expect(((await again.json()) as Record<string, unknown>).generation).toBe(resource.generation);
    expect(await (await send("/storage/v1/b/raw-bucket/o/session.bin?alt=media")).text()).toBe("abcdefgh");
  });

  it("resumable: a session can be cancelled (499) and is gone afterwards", async () => {
    const init = await upload("uploadType=resumable&name=cancelled.bin", {});
    const location = String(init.headers.get("location"));
    expect((await fetch(location, { method: "DELETE" })).status).toBe(499);
    expect((await fetch(location, { method: "PUT", body: "x" })).status).toBe(404);
  });

  it("rejects an upload whose claimed md5Hash does not match the bytes", async () => {
    const response = await upload("uploadType=multipart&name=claimed.txt", {
      headers: { "content-type": 'multipart/related; boundary="b b"' },
      body: `--b b\r\nContent-Type: application/json\r\n\r\n${JSON.stringify({ md5Hash: "AAAAAAAAAAAAAAAAAAAAAA==" })}\r\n--b b\r\nContent-Type: text/plain\r\n\r\nhello\r\n--b b--`,
    });
    expect(response.status).toBe(400);
    expect((await errorBody(response)).message).toContain("doesn't match calculated MD5");
    expect((await send("/storage/v1/b/raw-bucket/o/claimed.txt")).status).toBe(404);
  });
});

describe("authorize hook", () => {
  let guarded: LocalStorageServer;
  const checks: (StorageAccess & { identity: string | undefined })[] = [];

  beforeAll(async () => {
    guarded = await startStorageServer({
      log: () => {},
      // Only the trainer may delete (and so overwrite); everyone else may create and read.
      authorize: (request, access) => {
        checks.push({ ...access, identity: request.identity });
        return access.permission !== "storage.objects.delete" || request.identity === "trainer-token";
      },
    });
    guarded.createBucket("guarded");
  });

  afterAll(async () => {
    await guarded.close();
  });

  it("passes IAM permission names and the bearer token; a denial is a 403 ApiError", async () => {
    const storage = new Storage(localStorageClientOptions(guarded.url));
    const file = storage.bucket("guarded").file("models/m/c/modelgate.json");
    await file.save("{}", { resumable: false });
    expect(checks).toContainEqual({
      permission: "storage.objects.create",
      bucket: "guarded",
      object: "models/m/c/modelgate.json",
      identity: undefined,
    });

    // Overwriting needs storage.objects.delete too, which the anonymous client lacks.
    const overwrite = await file.save("{}", { resumable: false }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(overwrite).toBeInstanceOf(ApiError);
    expect((overwrite as ApiError).code).toBe(403);
    expect((overwrite as ApiError).errors?.[0]?.reason).toBe("forbidden");
    expect((overwrite as ApiError).message).toContain("storage.objects.delete");

    const denied = await fetch(`${guarded.url}/storage/v1/b/guarded/o/${encodeURIComponent(file.name)}`, {
      method: "DELETE",
      headers: { authorization: "Bearer someone-else" },
    });
    expect(denied.status).toBe(403);
    const allowed = await fetch(`${guarded.url}/storage/v1/b/guarded/o/${encodeURIComponent(file.name)}`, {
      method: "DELETE",
      headers: { authorization: "Bearer trainer-token" },
    });
    expect(allowed.status).toBe(204);
    expect(checks).toContainEqual({
      permission: "storage.objects.delete",
      bucket: "guarded",
      object: file.name,
      identity: "trainer-token",
    });

    await storage.bucket("guarded").getFiles();
    await storage.bucket("guarded").getMetadata();
    const permissions = new Set(checks.map((c) => c.permission));
    expect(permissions).toEqual(
      new Set([
        "storage.objects.create",
        "storage.objects.delete",
        "storage.objects.list",
        "storage.buckets.get",
      ]),
    );
  });
});
