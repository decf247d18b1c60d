import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { infraDataText } from "../../scripts/generate-infra-data.js";
import { identityMatrix } from "../../scripts/identity-matrix.js";
import {
  type AdapterModule,
  adapters,
  allows,
  deploymentPermission,
  entitlements,
  type Grant,
  Identity,
  identityNames,
  Library,
  Prefix,
  permissionsOf,
  permissionTable,
  requiredByCalls,
  trainingPermission,
} from "../../shared/permissions.js";
import { functionNames } from "../../shared/topology.js";
import { checkAdapterCalls } from "../support/infra/infra-check.js";

const root = join(import.meta.dirname, "..", "..");
const require = createRequire(import.meta.url);

/** Every method name on a prototype chain (stopping at Object.prototype). */
function methodsOf(...classes: Array<{ prototype: object }>): Set<string> {
  const names = new Set<string>();
  for (const cls of classes) {
    for (
      let proto = cls.prototype;
      proto && proto !== Object.prototype;
      proto = Object.getPrototypeOf(proto)
    ) {
      for (const name of Object.getOwnPropertyNames(proto)) if (name !== "constructor") names.add(name);
    }
  }
  return names;
}

/** The client library's method names an adapter could call. */
function clientMethods(module: AdapterModule): Set<string> {
  const spec = adapters[module];
  if (spec.library === Library.storage) {
    const { Storage, Bucket, File } = require("@google-cloud/storage");
    return methodsOf(Storage, Bucket, File);
  }
  return methodsOf(
    ...spec.clientModules.map((client) => {
      const exported = require(`${spec.library}/build/src/v1/${client}.js`);
      return Object.values(exported)[0] as { prototype: object };
    }),
  );
}

/** The table's calls for `module` that its source never makes (comments aside): rows with no code behind them. */
function uncalledTableRows(module: AdapterModule, source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/\/\/.*$/gm, "");
  return Object.keys(adapters[module].calls).filter(
    (method) => !new RegExp(`\\.\\s*${method}\\s*[<(]`).test(code),
  );
}

describe("the permission table", () => {
  it("gives every function and the trainer an identity with its own account id", () => {
    for (const fn of functionNames) expect(identityNames).toContain(fn);
    expect(identityNames).toContain(Identity.trainer);
    const ids = identityNames.map((i) => permissionTable[i].accountId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^[a-z][a-z0-9-]{4,20}[a-z0-9]$/); // leaves room for "-trigger"
  });

  it.each(identityNames)("%s holds every permission its adapter calls need", (identity) => {
    const held = permissionsOf(identity);
    for (const permission of requiredByCalls(identity))
      expect(held, `${identity} lacks ${permission}`).toContain(permission);
  });

  it.each(identityNames)("%s holds no Vertex AI permission its adapter calls do not need", (identity) => {
    const needed = new Set(requiredByCalls(identity));
    const extra = permissionsOf(identity).filter((p) => p.startsWith("aiplatform.") && !needed.has(p));
    expect(extra).toEqual([]);
  });

  // Vertex AI's long-running calls return an operation named under the resource they change; polling it is
  // authorised by that resource's own `.get` (IAM has no aiplatform.operations.get).
  it.each([
    ["shared/vertex/models-adapter.ts", "uploadModel", "aiplatform.models.get"],
    ["shared/vertex/endpoints-adapter.ts", "deployModel", "aiplatform.endpoints.get"],
    ["shared/vertex/endpoints-adapter.ts", "undeployModel", "aiplatform.endpoints.get"],
  ] as const)("%s %s polls its operation with %s, and no operations.* permission", (module, call, get) => {
    const needs: readonly string[] =
      (adapters[module].calls as Record<string, readonly string[]>)[call] ?? [];
    expect(needs).toContain(get);
    expect(needs.filter((p) => p.startsWith("aiplatform.operations."))).toEqual([]);
  });

  it("lets no identity both train and deploy", () => {
    for (const identity of identityNames) {
      const held = permissionsOf(identity);
      expect(held.includes(trainingPermission) && held.includes(deploymentPermission), identity).toBe(false);
    }
  });

  it("never grants delete or update on the ledger, the artifacts or the training and golden data", () => {
    const immutable = [Prefix.ledger, Prefix.models, Prefix.datasets, Prefix.golden];
    for (const e of entitlements()) {
      if (e.permission !== "storage.objects.delete" && e.permission !== "storage.objects.update") continue;
      expect(e.scope.kind).toBe("bucket-prefix");
      const prefix = e.scope.kind === "bucket-prefix" ? e.scope.value : "";
      expect(
        immutable.some((p) => prefix.startsWith(p)),
        `${e.identity} may delete under ${prefix}`,
      ).toBe(false);
      if (prefix.startsWith(Prefix.idempotency)) expect(prefix).toBe(`idempotency/${e.identity}/`);
    }
  });

  it("scopes every storage grant to a prefix and every publish grant to a topic", () => {
    for (const identity of identityNames) {
      for (const grant of permissionTable[identity].grants as readonly Grant[]) {
        if (grant.permissions.some((p) => p.startsWith("storage.")))
          expect(grant.scope.kind).toBe("bucket-prefix");
        if (grant.permissions.some((p) => p.startsWith("pubsub."))) expect(grant.scope.kind).toBe("topic");
      }
    }
  });

  it("answers allows() by prefix, topic and project", () => {
    expect(
      allows("trainer", "storage.objects.create", { kind: "bucket-prefix", value: "models/m/c/model.json" }),
    ).toBe(true);
    expect(
      allows("trainer", "storage.objects.create", { kind: "bucket-prefix", value: "ledger/m/c/x.json" }),
    ).toBe(false);
    expect(
      allows("githubWebhook", "pubsub.topics.publish", { kind: "topic", value: "training-requested" }),
    ).toBe(true);
    expect(allows("githubWebhook", "pubsub.topics.publish", { kind: "topic", value: "artifact-ready" })).toBe(
      false,
    );
    expect(
      allows("deployModel", "aiplatform.endpoints.deploy", { kind: "endpoint", value: "projects/p/x" }),
    ).toBe(true);
    expect(allows("verifyDeployment", "aiplatform.endpoints.deploy", { kind: "project" })).toBe(false);
    expect(
      allows("launchTraining", "storage.objects.delete", {
        kind: "bucket-prefix",
        value: `${Prefix.idempotency}launchTraining/k`,
      }),
    ).toBe(true);
    expect(
      allows("launchTraining", "storage.objects.delete", {
        kind: "bucket-prefix",
        value: `${Prefix.idempotency}deployModel/k`,
      }),
    ).toBe(false);
  });
});

describe("adapter sources against the table", () => {
  const existing = (Object.keys(adapters) as AdapterModule[]).filter((m) => existsSync(join(root, m)));

  it("lists every Vertex AI adapter on disk", () => {
    const onDisk = readdirSync(join(root, "shared", "vertex"))
      .filter((f) => f.endsWith("-adapter.ts"))
      .map((f) => `shared/vertex/${f}`);
    for (const module of onDisk)
      expect(Object.keys(adapters), `${module} is missing from the table`).toContain(module);
  });

  it.each(existing)("%s calls only client methods the table maps to permissions", (module) => {
    const source = readFileSync(join(root, module), "utf8");
    expect(checkAdapterCalls(module, source, clientMethods(module))).toEqual([]);
  });

  it.each(existing)("%s calls every client method the table lists for it", (module) => {
    expect(uncalledTableRows(module, readFileSync(join(root, module), "utf8"))).toEqual([]);
  });

  it("names a table row no adapter code calls", () => {
    const source = "async function f(client) { await client.createCustomJob({}); client.close(); }";
    expect(uncalledTableRows("shared/vertex/jobs-adapter.ts", source)).toEqual(["listCustomJobs"]);
  });

  it("names an adapter call the table does not know", () => {
    const source =
      "async function f(client) { await client.deleteCustomJob({ name }); await client.createCustomJob({}); }";
    const findings = checkAdapterCalls(
      "shared/vertex/jobs-adapter.ts",
      source,
      clientMethods("shared/vertex/jobs-adapter.ts"),
    );
    expect(findings.map((f) => f.message)).toEqual([
      "shared/vertex/jobs-adapter.ts calls deleteCustomJob(), which the permission table does not map to a permission",
    ]);
  });
});

describe("generated files", () => {
  it("docs/identity-matrix.md is the generator's current output", () => {
    expect(readFileSync(join(root, "docs", "identity-matrix.md"), "utf8")).toBe(identityMatrix());
  });

  it("infra/modules/modelgate/modelgate.generated.json is current", () => {
    const committed = readFileSync(
      join(root, "infra", "modules", "modelgate", "modelgate.generated.json"),
      "utf8",
    );
    expect(committed).toBe(infraDataText());
  });
});
