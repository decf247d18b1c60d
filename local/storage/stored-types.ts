/** Object attributes a writer may set; everything else is computed by the server. */
export interface ObjectAttributes {
  contentType?: string;
  contentEncoding?: string;
  contentDisposition?: string;
  contentLanguage?: string;
  cacheControl?: string;
  customTime?: string;
  metadata?: Record<string, string>;
}

/** An object as the store keeps it; int64 fields are decimal strings, as in the JSON API. */
export interface StoredObject extends ObjectAttributes {
  bucket: string;
  name: string;
  generation: string;
  metageneration: string;
  contentType: string;
  size: number;
  md5Hash: string;
  crc32c: string;
  timeCreated: string;
  updated: string;
  componentCount?: number;
}

/** A bucket as the store keeps it. */
export interface StoredBucket {
  name: string;
  timeCreated: string;
  updated: string;
  metageneration: string;
  location: string;
  storageClass: string;
  labels?: Record<string, string>;
}
