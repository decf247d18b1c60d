import { describe, expect, it } from "vitest";
import { createLogger, traceContext } from "../../shared/logger.js";

describe("logger", () => {
  it("writes Cloud Logging JSON with severity, trace and the bound context", () => {
    const lines: string[] = [];
    const log = createLogger({ functionName: "githubWebhook" }, (l) => lines.push(l)).child({
      correlationId: "c-9",
      ...traceContext({ "X-Cloud-Trace-Context": "105445aa7843bc8bf206b12000100000/1;o=1" }, "acme-ml"),
    });
    log.warn("refused", { reason: "bad signature" });
    const entry = JSON.parse(lines[0] ?? "{}");
    expect(entry).toMatchObject({
      severity: "WARNING",
      message: "refused",
      functionName: "githubWebhook",
      correlationId: "c-9",
      reason: "bad signature",
      "logging.googleapis.com/trace": "projects/acme-ml/traces/105445aa7843bc8bf206b12000100000",
      "logging.googleapis.com/spanId": "0000000000000001",
    });
  });

  it.each([
    [
      { traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01" },
      "4bf92f3577b34da6a3ce929d0e0e4736",
    ],
    [{ traceparent: "garbage" }, undefined],
    [{}, undefined],
    // Regression (issue #14, item 9): W3C forbids version ff and all-zero ids; they were read as traces.
    [{ traceparent: "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01" }, undefined],
    [{ traceparent: `00-${"0".repeat(32)}-00f067aa0ba902b7-01` }, undefined],
    [{ traceparent: `00-4bf92f3577b34da6a3ce929d0e0e4736-${"0".repeat(16)}-01` }, undefined],
    [{ "x-cloud-trace-context": `105445aa7843bc8bf206b12000100000/${"9".repeat(30)}` }, undefined],
  ])("reads the trace from %j", (headers, traceId) => {
    expect(traceContext(headers, "p").trace).toBe(
      traceId === undefined ? undefined : `projects/p/traces/${traceId}`,
    );
  });
});
