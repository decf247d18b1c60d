import { describe, expect, it } from "vitest";
import { useEchoVertex } from "../support/echo-vertex.js";

// Found by the chaos suite (seed 1): a DeployModel whose long-running operation failed kept its deployed model id
// reserved, so every retry with modelgate's deterministic id got ALREADY_EXISTS until the message dead-lettered.
// A failed operation must leave nothing behind, the id included.
const echo = useEchoVertex("chaos-regression");

describe("local Vertex AI: a failed DeployModel operation", () => {
  it("releases the deployed model id, so a retry with the same id deploys", async () => {
    const endpoint = await echo.createEndpoint();
    const id = "4242424242";

    echo.server.faults.failOperation("DeployModel", 1);
    await expect(echo.deploy(endpoint, echo.modelName, { id })).rejects.toThrow(/Injected failure/);

    await echo.deploy(endpoint, echo.modelName, { id });
    const state = await echo.getEndpoint(endpoint);
    expect(state.deployedModels?.map((d) => d.id)).toEqual([id]);
    expect(state.trafficSplit).toEqual({ [id]: 100 });
  });
});
