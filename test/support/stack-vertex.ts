import type { LocalStack } from "../../local/stack.js";
import { type Config, vertexParent } from "../../shared/config.js";
import { loadSettings } from "../../shared/settings.js";
import type { VertexLocation } from "../../shared/vertex/vertex-client.js";

/** Where a running local stack serves Vertex AI, for adapters a test builds itself (as the admin, on the default port). */
export function stackVertexLocation(stack: Pick<LocalStack, "env">, config: Config): VertexLocation {
  return {
    endpoint: loadSettings(stack.env).vertexEndpoint,
    region: config.region,
    parent: vertexParent(config),
  };
}
