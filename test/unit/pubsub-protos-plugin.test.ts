import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { protobuf } from "google-gax";
import { describe, expect, it } from "vitest";
import { publisherProtos, publisherService } from "../../scripts/pubsub-protos-plugin.js";

const require = createRequire(import.meta.url);
const fullProtos = readFileSync(require.resolve("@google-cloud/pubsub/build/protos/protos.json"), "utf8");

describe("the Publisher's protos", () => {
  const root = protobuf.Root.fromJSON(JSON.parse(publisherProtos()));

  it("keep every Publisher method with its request and response types resolvable", () => {
    const service = root.lookupService(publisherService);
    const full = protobuf.Root.fromJSON(JSON.parse(fullProtos)).lookupService(publisherService);
    expect(service.methodsArray.map((m) => m.name)).toEqual(full.methodsArray.map((m) => m.name));
    root.resolveAll();
    const publish = service.methods.Publish;
    expect(publish?.resolvedRequestType?.fullName).toBe(".google.pubsub.v1.PublishRequest");
    expect(publish?.resolvedResponseType?.fullName).toBe(".google.pubsub.v1.PublishResponse");
  });

  it("encode a publish as the whole file does", () => {
    const request = {
      topic: "projects/p/topics/t",
      messages: [{ data: Buffer.from("{}"), attributes: { model: "m" } }],
    };
    const type = "google.pubsub.v1.PublishRequest";
    const full = protobuf.Root.fromJSON(JSON.parse(fullProtos)).lookupType(type);
    const encoded = Buffer.from(root.lookupType(type).encode(request).finish());
    expect(encoded.equals(Buffer.from(full.encode(request).finish()))).toBe(true);
  });

  it("leave the subscriber and schema services out", () => {
    expect(root.lookup("google.pubsub.v1.Subscriber")).toBeNull();
    expect(root.lookup("google.pubsub.v1.SchemaService")).toBeNull();
    expect(root.lookup("google.pubsub.v1.StreamingPullRequest")).toBeNull();
    expect(publisherProtos().length).toBeLessThan(fullProtos.length / 4);
  });
});
