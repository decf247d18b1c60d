import { describe, expect, it } from "vitest";
import { eventRevision, FluxEvent, parseGitRevision } from "../../functions/flux-events/flux-event.js";
import { ownJson } from "../support/ingress-fixtures.js";

const sha = "4b825dc642cb6eb9a060e54bf8d69288fbee4904";

describe("a Flux revision", () => {
  it.each<[string, { pointer?: string; commit: string } | null]>([
    [`main@sha1:${sha}`, { pointer: "main", commit: sha }],
    [`refs/heads/feature/x@sha1:${sha}`, { pointer: "refs/heads/feature/x", commit: sha }],
    [`sha1:${sha}`, { commit: sha }],
    // The form source-controller reported before Flux 2.0, which notification-controller still reads.
    [`main/${sha}`, { pointer: "main", commit: sha }],
    [`feature/branch/${sha}`, { pointer: "feature/branch", commit: sha }],
    [`latest@sha256:${"a".repeat(64)}`, null],
    [`main@sha1:${sha.slice(0, 12)}`, null],
    [`main@sha1:${sha.toUpperCase()}`, null],
    [sha, null],
    ["6.1.0", null],
    ["", null],
  ])("%j reads as %j", (revision, expected) => {
    expect(parseGitRevision(revision)).toEqual(expected);
  });

  it("is read from `revision`, from the group-prefixed key older controllers sent, or from originRevision", () => {
    const current = FluxEvent.parse(ownJson("flux/kustomization-succeeded.json"));
    expect(eventRevision(current)).toBe(`main@sha1:${sha}`);
    const legacy = FluxEvent.parse(ownJson("flux/kustomization-validation-failed.json"));
    expect(eventRevision(legacy)).toBe(`main/${sha}`);
    const oci = {
      ...current,
      metadata: { revision: `latest@sha256:${"a".repeat(64)}`, originRevision: `main@sha1:${sha}` },
    };
    expect(eventRevision(oci)).toBe(`main@sha1:${sha}`);
    expect(eventRevision({ ...current, metadata: {} })).toBeUndefined();
  });
});
