import { describe, expect, it } from "vitest";
import { infraData } from "../../scripts/generate-infra-data.js";
import { permissionTable } from "../../shared/permissions.js";
import { consumerOf, functionNames, functions, httpFunctionNames, invokerOf } from "../../shared/topology.js";

describe("the function declarations", () => {
  it("give each topic the one function whose trigger names it", () => {
    for (const [topic, consumer] of Object.entries(consumerOf)) {
      expect(functions[consumer].trigger, topic).toEqual({ kind: "pubsub", topic });
    }
    const pubsubTriggered = functionNames.filter((name) => functions[name].trigger.kind === "pubsub");
    expect(pubsubTriggered.sort()).toEqual(Object.values(consumerOf).sort());
  });

  it("say who may invoke each function: the HTTP ones by their declared invoker, the rest by their trigger", () => {
    expect(httpFunctionNames).toEqual(["githubWebhook", "tektonEvents", "fluxEvents", "advanceRollout"]);
    expect(invokerOf("githubWebhook")).toBe("public");
    expect(invokerOf("tektonEvents")).toBe("forwarder");
    expect(invokerOf("advanceRollout")).toBe("tasks");
    expect(invokerOf("fluxEvents")).toBe("signed");
    for (const name of functionNames.filter((n) => !httpFunctionNames.includes(n))) {
      expect(invokerOf(name), name).toBe("trigger");
    }
  });

  it("reach Terraform: invoker, trigger, ingress and secrets per function, the public one and the forwarder's", () => {
    const data = infraData();
    expect(data.public_function).toBe("githubWebhook");
    expect(data.signed_function).toBe("fluxEvents");
    expect(Object.keys(data.forwarder_functions)).toEqual(["tektonEvents"]);
    expect(data.tasks_functions).toEqual({ advanceRollout: { identity: "rolloutTasks" } });
    expect(data.tasks_target).toBe("advanceRollout");
    expect(data.functions.rolloutModel?.schedules_tasks).toBe(true);
    for (const name of functionNames) {
      const declared = functions[name];
      const generated = data.functions[name];
      expect(generated?.invoker, name).toBe(invokerOf(name));
      expect(generated?.trigger, name).toBe(declared.trigger.kind);
      expect(generated?.ingress_settings, name).toBe(
        declared.ingress === "public" ? "ALLOW_ALL" : "ALLOW_INTERNAL_ONLY",
      );
      expect(Object.keys(generated?.secrets ?? {}), name).toEqual(declared.secrets.map((s) => s.secretId));
      // A declared secret is readable by the function, and by no other.
      const readable = permissionTable[name].grants.filter((g) => g.scope.kind === "secret");
      expect(
        readable.map((g) => (g.scope as { value: string }).value),
        name,
      ).toEqual(declared.secrets.map((s) => s.secretId));
    }
  });
});
