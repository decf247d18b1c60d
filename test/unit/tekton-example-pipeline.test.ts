import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";

// The example pipeline runs as the trainer identity: whoever may create a PipelineRun must not choose what runs.
const documents = parseAllDocuments(readFileSync("infra/tekton/ml-build-pipeline.yaml", "utf8")).map(
  (d) => d.toJS() as Record<string, any>,
);
const tasks = documents.filter((d) => d.kind === "Task");
const pipeline = documents.find((d) => d.kind === "Pipeline");
const steps = tasks.flatMap((t) => t.spec.steps as Array<Record<string, any>>);

describe("the example Tekton pipeline pins what it runs", () => {
  it("takes only the commit to build as a run parameter", () => {
    expect(pipeline?.spec.params.map((p: { name: string }) => p.name)).toEqual(["revision"]);
    const example = documents.find((d) => d.kind === "PipelineRun");
    expect(example?.spec.params).toEqual([
      { name: "revision", value: expect.stringMatching(/^[0-9a-f]{40}$/) },
    ]);
  });

  it("names every step image by digest, never by a parameter or a bare tag", () => {
    expect(steps.length).toBeGreaterThan(0);
    for (const step of steps) {
      // A real digest, or the placeholder the file's header says to fill in.
      expect(step.image, step.name).toMatch(
        /^[A-Za-z0-9._/-]+(:[\w.-]+)?@sha256:([0-9a-f]{64}|[A-Z_]+_DIGEST)$/,
      );
      expect(step.image, step.name).not.toContain("$(");
    }
  });

  it("fixes the repository it clones and keeps run values out of shell scripts", () => {
    for (const step of steps) {
      expect(step.script ?? "", step.name).not.toMatch(/\$\(params\.revision\)/);
    }
    const clone = steps.find((s) => s.name === "clone");
    expect(clone?.script).toContain("git remote add origin https://github.com/acme/fraud-detector.git");
    expect(clone?.env).toEqual([{ name: "REVISION", value: "$(params.revision)" }]);
  });
});
