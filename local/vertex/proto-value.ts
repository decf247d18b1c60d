import type { google } from "@google-cloud/aiplatform/build/protos/protos.js";

/**
 * google.protobuf.Value as the protobuf object form the client library and proto-loader use
 * (`{ numberValue: 1 }`, `{ structValue: { fields: {…} } }`…). Neither side converts JSON
 * automatically, so Predict's instances, parameters and predictions go through these helpers.
 */
export type ProtoValue = google.protobuf.IValue;

/** Converts plain JSON to a google.protobuf.Value object. */
export function toProtoValue(value: unknown): ProtoValue {
  if (value === null || value === undefined) return { nullValue: "NULL_VALUE" };
  if (typeof value === "number") return { numberValue: value };
  if (typeof value === "string") return { stringValue: value };
  if (typeof value === "boolean") return { boolValue: value };
  if (Array.isArray(value)) return { listValue: { values: value.map(toProtoValue) } };
  if (typeof value === "object") {
    const fields: Record<string, ProtoValue> = {};
    for (const [key, field] of Object.entries(value)) {
      if (field !== undefined) fields[key] = toProtoValue(field);
    }
    return { structValue: { fields } };
  }
  throw new TypeError(`Cannot represent a ${typeof value} as a google.protobuf.Value`);
}

/** Converts a google.protobuf.Value object back to plain JSON. */
export function fromProtoValue(value: ProtoValue | null | undefined): unknown {
  if (value === null || value === undefined) return null;
  if (value.numberValue !== undefined && value.numberValue !== null) return value.numberValue;
  if (value.stringValue !== undefined && value.stringValue !== null) return value.stringValue;
  if (value.boolValue !== undefined && value.boolValue !== null) return value.boolValue;
  if (value.listValue) return (value.listValue.values ?? []).map(fromProtoValue);
  if (value.structValue) {
    const out: Record<string, unknown> = {};
    for (const [key, field] of Object.entries(value.structValue.fields ?? {}))
      out[key] = fromProtoValue(field);
    return out;
  }
  return null;
}
