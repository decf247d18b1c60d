import { describe, expect, it } from "vitest";
import { servedTarget } from "../../shared/ingress/body-guard.js";

describe("servedTarget reads the function a process serves as the Functions Framework reads it", () => {
  it.each([
    [["--target=githubWebhook", "--port=8080"], {}, "githubWebhook"],
    [["--port", "8080", "--target", "tektonEvents"], {}, "tektonEvents"],
    [[], { FUNCTION_TARGET: "githubWebhook" }, "githubWebhook"],
    [["--target=tektonEvents"], { FUNCTION_TARGET: "githubWebhook" }, "tektonEvents"],
    [["run", "test/unit"], {}, undefined],
  ])("%j with %j → %s", (args, env, target) => {
    expect(servedTarget(args, env)).toBe(target);
  });
});
