import { describe, expect, it } from "vitest";
import { eventually } from "../support/eventually.js";

describe("eventually", () => {
  it("returns the first value the probe gives, after probing as often as needed", async () => {
    let probes = 0;
    const value = await eventually("the third probe", () => (++probes === 3 ? "ready" : undefined), {
      intervalMs: 1,
    });
    expect(value).toBe("ready");
    expect(probes).toBe(3);
  });

  it("keeps falsy values other than undefined", async () => {
    await expect(eventually("zero", () => 0)).resolves.toBe(0);
    await expect(eventually("false", async () => false)).resolves.toBe(false);
  });

  it("fails past the deadline naming what it waited for and what it last saw", async () => {
    let probes = 0;
    await expect(
      eventually(
        "the job to end",
        () => {
          probes++;
          return undefined;
        },
        { timeoutMs: 20, intervalMs: 5, detail: () => `state RUNNING after ${probes} probes` },
      ),
    ).rejects.toThrow(
      /^timed out after 20 ms waiting for the job to end; last seen: state RUNNING after \d+ probes$/,
    );
    expect(probes).toBeGreaterThan(1);
  });

  it("fails at once when the probe throws", async () => {
    let probes = 0;
    await expect(
      eventually("a job that failed", () => {
        probes++;
        throw new Error("training failed: exit 1");
      }),
    ).rejects.toThrow("training failed: exit 1");
    expect(probes).toBe(1);
  });
});
