import { createHash } from "node:crypto";
import { CRC32C } from "@google-cloud/storage";

// The client's own CRC32C (Castagnoli) is reused so the hashes we publish are, by construction,
// the ones it validates downloads and uploads against.

/** CRC32C of `data` as Cloud Storage reports it: base64 of the big-endian 32-bit value. */
export function crc32cBase64(data: Buffer): string {
  const crc = new CRC32C();
  crc.update(data);
  return crc.toString();
}

/** MD5 of `data`, base64, as in the object resource's `md5Hash`. */
export function md5Base64(data: Buffer): string {
  return createHash("md5").update(data).digest("base64");
}
