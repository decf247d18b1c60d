// The part of a gapic client library's protos.json that named services need: each service, its methods' request
// and response types, their long-running-operation types (`google.longrunning.operation_info`) and the transitive
// closure of those. The Vertex AI and Pub/Sub proto plugins give a bundled client module this instead of the whole
// file, so constructing the client builds a protobuf Root and gRPC definitions from its own service only.

// google-gax (a direct dependency) re-exports the protobufjs it builds clients with.
import { protobuf } from "google-gax";

export type JsonNamespace = { nested?: Record<string, JsonNamespace>; [key: string]: unknown };

/** The part of a protos.json that the named services need, as protos.json-shaped JSON. */
export function trimProtos(full: JsonNamespace, serviceNames: readonly string[]): JsonNamespace {
  const root = protobuf.Root.fromJSON(full as protobuf.INamespace);
  root.resolveAll();
  const kept = new Set<protobuf.ReflectionObject>();

  const outermost = (object: protobuf.ReflectionObject): protobuf.ReflectionObject => {
    let top = object;
    while (top.parent && (top.parent instanceof protobuf.Type || top.parent instanceof protobuf.Service))
      top = top.parent;
    return top;
  };
  const visitType = (type: protobuf.Type | protobuf.Enum | null | undefined): void => {
    if (!type) return;
    const top = outermost(type);
    if (kept.has(top)) return;
    kept.add(top);
    if (top instanceof protobuf.Type) visitNested(top);
  };
  const visitNested = (type: protobuf.Type): void => {
    for (const field of type.fieldsArray) {
      field.resolve();
      if (field.resolvedType) visitType(field.resolvedType);
    }
    for (const nested of type.nestedArray) if (nested instanceof protobuf.Type) visitNested(nested);
  };
  const lookupType = (name: string, from: protobuf.ReflectionObject) => {
    const found = (from.parent ?? root).lookup(name) ?? root.lookup(name);
    if (!(found instanceof protobuf.Type || found instanceof protobuf.Enum)) {
      throw new Error(`${name} (named by ${from.fullName}) is not a message type`);
    }
    return found;
  };

  for (const name of serviceNames) {
    const service = root.lookupService(name);
    kept.add(service);
    for (const method of service.methodsArray) {
      method.resolve();
      visitType(method.resolvedRequestType);
      visitType(method.resolvedResponseType);
      const options = method.options ?? {};
      for (const key of [
        "(google.longrunning.operation_info).response_type",
        "(google.longrunning.operation_info).metadata_type",
      ]) {
        const typeName = options[key];
        if (typeof typeName === "string") visitType(lookupType(typeName, service));
      }
    }
  }

  const out: JsonNamespace = {};
  for (const object of kept) {
    const path = object.fullName.replace(/^\./, "").split(".");
    const leaf = path.pop() as string;
    let at = out;
    let source: protobuf.NamespaceBase = root;
    for (const part of path) {
      source = source.get(part) as protobuf.NamespaceBase;
      at.nested ??= {};
      at.nested[part] ??= source.options ? { options: source.options } : {};
      at = at.nested[part] as JsonNamespace;
    }
    at.nested ??= {};
    at.nested[leaf] = object.toJSON() as JsonNamespace;
  }
  return out;
}
