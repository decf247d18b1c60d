/**
 * JSON ↔ google.protobuf.Value, in the object form the Google client libraries send and receive
 * (`{ numberValue: 1 }`, `{ structValue: { fields: { … } } }`). Predict's instances and predictions are Values;
 * the client converts nothing by itself. This mirrors `helpers.toValue` in @google-cloud/aiplatform without
 * loading the whole package (cold starts load only the service client a function uses).
 */

/** A google.protobuf.Value as a plain object (what the client accepts) or a decoded message (what it returns). */
export interface ProtobufValue {
  kind?: string | null;
  nullValue?: number | string | null;
  numberValue?: number | null;
  stringValue?: string | null;
  boolValue?: boolean | null;
  structValue?: { fields?: Record<string, ProtobufValue> | null } | null;
  listValue?: { values?: ProtobufValue[] | null } | null;
}

/** Converts a JSON value to a google.protobuf.Value; `undefined` object fields are left out, as JSON would. */
export function toProtobufValue(value: unknown): ProtobufValue {
  switch (typeof value) {
    case "number":
      return { numberValue: value };
    case "string":
      return { stringValue: value };
    case "boolean":
      return { boolValue: value };
    case "undefined":
      return { nullValue: 0 };
    case "object": {
      if (value === null) return { nullValue: 0 };
      if (Array.isArray(value)) {
        const values = new Array<ProtobufValue>(value.length);
        for (let i = 0; i < value.length; i++) values[i] = toProtobufValue(value[i]);
        return { listValue: { values } };
      }
      const fields: Record<string, ProtobufValue> = {};
      const record = value as Record<string, unknown>;
      for (const key of Object.keys(record)) {
        const field = record[key];
        if (field !== undefined) setOwn(fields, key, toProtobufValue(field));
      }
      return { structValue: { fields } };
    }
    default:
      throw new TypeError(`a ${typeof value} cannot be sent as a google.protobuf.Value`);
  }
}

/**
 * Converts a google.protobuf.Value back to JSON. Decoded messages may carry defaults for every member of the
 * `kind` oneof (protobufjs puts `numberValue: 0` on the prototype), so the `kind` discriminator decides when it
 * is present, and otherwise the first member set to a non-null value.
 */
export function fromProtobufValue(value: ProtobufValue | null | undefined): unknown {
  if (value === null || value === undefined) return null;
  switch (value.kind ?? presentKind(value)) {
    case "numberValue":
      return Number(value.numberValue);
    case "stringValue":
      return value.stringValue ?? "";
    case "boolValue":
      return value.boolValue === true;
    case "listValue": {
      const values = value.listValue?.values ?? [];
      const out = new Array<unknown>(values.length);
      for (let i = 0; i < values.length; i++) out[i] = fromProtobufValue(values[i]);
      return out;
    }
    case "structValue": {
      const out: Record<string, unknown> = {};
      const fields = value.structValue?.fields ?? {};
      for (const key in fields) {
        if (Object.hasOwn(fields, key)) setOwn(out, key, fromProtobufValue(fields[key]));
      }
      return out;
    }
    default:
      return null;
  }
}

const kinds = ["structValue", "listValue", "stringValue", "numberValue", "boolValue", "nullValue"] as const;

function presentKind(value: ProtobufValue): string | undefined {
  for (const kind of kinds) {
    if (Object.hasOwn(value, kind) && value[kind] !== null && value[kind] !== undefined) return kind;
  }
  return undefined;
}

/** Sets an own property, even one named `__proto__` (JSON may hold that key; assignment would set the prototype). */
function setOwn<T>(target: Record<string, T>, key: string, value: T): void {
  if (key === "__proto__") {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}
