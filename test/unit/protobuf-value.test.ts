import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  fromProtobufValue,
  type ProtobufValue,
  toProtobufValue,
} from "../../shared/vertex/protobuf-value.js";

describe("toProtobufValue", () => {
  it("encodes each JSON kind as its google.protobuf.Value member", () => {
    expect(toProtobufValue(1.5)).toEqual({ numberValue: 1.5 });
    expect(toProtobufValue("a")).toEqual({ stringValue: "a" });
    expect(toProtobufValue(false)).toEqual({ boolValue: false });
    expect(toProtobufValue(null)).toEqual({ nullValue: 0 });
    expect(toProtobufValue([1, "x"])).toEqual({
      listValue: { values: [{ numberValue: 1 }, { stringValue: "x" }] },
    });
    expect(toProtobufValue({ amount: 42.17, tags: [], skipped: undefined })).toEqual({
      structValue: { fields: { amount: { numberValue: 42.17 }, tags: { listValue: { values: [] } } } },
    });
  });

  it("refuses values JSON cannot hold", () => {
    expect(() => toProtobufValue(() => 1)).toThrow(/function cannot be sent/);
    expect(() => toProtobufValue(1n)).toThrow(/bigint/);
  });
});

describe("fromProtobufValue", () => {
  it("round-trips any JSON value", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        // JSON has no -0: compare through JSON, which is what an instance goes through anyway.
        const json = JSON.parse(JSON.stringify(value));
        expect(fromProtobufValue(toProtobufValue(json))).toEqual(json);
      }),
    );
  });

  it("follows the kind discriminator of a decoded message, not the defaults of the other members", () => {
    // A protobufjs message carries a default for every oneof member on its prototype.
    const prototype = { numberValue: 0, stringValue: "", boolValue: false, nullValue: 0 };
    const decoded = Object.assign(Object.create(prototype), { kind: "stringValue", stringValue: "fraud" });
    expect(fromProtobufValue(decoded as ProtobufValue)).toBe("fraud");
    const noKind = Object.assign(Object.create(prototype), { boolValue: true });
    expect(fromProtobufValue(noKind as ProtobufValue)).toBe(true);
  });

  it("reads what the Vertex AI client returns for a prediction object", () => {
    const prediction: ProtobufValue = {
      kind: "structValue",
      structValue: {
        fields: {
          score: { kind: "numberValue", numberValue: 0.25, stringValue: "" },
          label: { kind: "numberValue", numberValue: 0 },
          classes: { kind: "listValue", listValue: { values: [{ kind: "stringValue", stringValue: "a" }] } },
          none: { kind: "nullValue", nullValue: "NULL_VALUE" },
        },
      },
    };
    expect(fromProtobufValue(prediction)).toEqual({ score: 0.25, label: 0, classes: ["a"], none: null });
  });

  it("treats an empty Value as null", () => {
    expect(fromProtobufValue({})).toBeNull();
    expect(fromProtobufValue(undefined)).toBeNull();
  });
});

describe("a key named __proto__", () => {
  it("stays an ordinary field both ways and never changes a prototype", () => {
    const json = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}');
    const value = toProtobufValue(json);
    expect(Object.keys(value.structValue?.fields ?? {})).toEqual(["__proto__", "a"]);
    const back = fromProtobufValue(value) as Record<string, unknown>;
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
    expect(back).toEqual(json);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
