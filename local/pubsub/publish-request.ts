import { invalidArgument } from "./status-error.js";

/** A message as a Publish request carries it. */
export interface IncomingMessage {
  data?: Buffer | Uint8Array | null;
  attributes?: Record<string, string> | null;
  orderingKey?: string | null;
}

// Real limits: 10 MB per publish request, attribute keys 256 bytes and values 1024 bytes.
const maxRequestBytes = 10 * 1024 * 1024;
const maxAttributeKeyBytes = 256;
const maxAttributeValueBytes = 1024;

/** Refuses a Publish request the real service refuses: no messages, an empty message, bad attributes, too large. */
export function checkPublishRequest(messages: readonly IncomingMessage[]): void {
  if (messages.length === 0) {
    throw invalidArgument(
      "The value for message_count is too small. You passed 0 in the request, but the minimum value is 1.",
    );
  }
  let bytes = 0;
  for (const message of messages) {
    const attributes = message.attributes ?? {};
    const data = message.data ?? Buffer.alloc(0);
    if (data.length === 0 && Object.keys(attributes).length === 0) {
      throw invalidArgument(
        "Some messages in the publish request are empty. Each message must contain a non-empty data field, or at least one attribute.",
      );
    }
    for (const [key, value] of Object.entries(attributes)) checkAttribute(key, value);
    bytes += data.length;
  }
  if (bytes > maxRequestBytes) {
    throw invalidArgument(`The publish request is ${bytes} bytes; the limit is ${maxRequestBytes} bytes.`);
  }
}

function checkAttribute(key: string, value: string): void {
  if (Buffer.byteLength(key) > maxAttributeKeyBytes || Buffer.byteLength(value) > maxAttributeValueBytes) {
    throw invalidArgument(
      `The attribute "${key.slice(0, 64)}" is too long: keys may be ${maxAttributeKeyBytes} bytes and values ${maxAttributeValueBytes} bytes.`,
    );
  }
  if (key.startsWith("goog")) {
    throw invalidArgument(`The attribute key "${key}" is reserved: keys must not start with "goog".`);
  }
}
