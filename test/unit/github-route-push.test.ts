import { describe, expect, it } from "vitest";
import { PushPayload } from "../../functions/github-webhook/payloads.js";
import { routePush } from "../../functions/github-webhook/route-push.js";
import { ingressTestConfig } from "../support/ingress-config.js";
import { ownJson } from "../support/ingress-fixtures.js";

const config = ingressTestConfig();
const sha = (digit: string) => digit.repeat(40);

function push(change: (payload: Record<string, any>) => void = () => {}) {
  const payload = ownJson<Record<string, any>>("github/push-main.json");
  change(payload);
  return PushPayload.parse(payload);
}

describe("routePush", () => {
  it("retrains only the models whose paths a pushed commit touches (added, modified or removed)", () => {
    for (const field of ["added", "modified", "removed"]) {
      const route = routePush(
        config,
        push((p) => {
          p.commits = [
            { id: sha("a"), added: [], modified: [], removed: [], [field]: ["data/fraud-detector/x.csv"] },
          ];
        }),
      );
      expect(route.decisions).toMatchObject([
        { kind: "train", model: "fraud-detector", reason: "touches data/fraud-detector/x.csv" },
      ]);
    }
  });

  it("follows the repository's default branch when the model names none", () => {
    const churn = (ref: string, defaultBranch: string) =>
      routePush(
        config,
        push((p) => {
          p.ref = ref;
          p.repository.full_name = "acme/churn";
          p.repository.default_branch = defaultBranch;
          p.commits = [{ id: sha("b"), added: ["churn/model/fit.py"], modified: [], removed: [] }];
        }),
      );
    expect(churn("refs/heads/trunk", "trunk").decisions).toMatchObject([{ kind: "train", model: "churn" }]);
    expect(churn("refs/heads/main", "trunk")).toEqual({
      decisions: [],
      ignored: ["churn: follows branch trunk, not main"],
    });
  });

  it("assumes the paths were touched when GitHub truncated the commit list at 2048", () => {
    const route = routePush(
      config,
      push((p) => {
        p.commits = Array.from({ length: 2048 }, () => ({
          id: sha("c"),
          added: [],
          modified: ["README.md"],
          removed: [],
        }));
      }),
    );
    expect(route.decisions).toMatchObject([
      { kind: "train", reason: expect.stringMatching(/GitHub's limit/) },
    ]);
  });

  it("ignores a repository no model uses, a tag that matches no pattern, and a tag on no commit", () => {
    expect(
      routePush(
        config,
        push((p) => (p.repository.full_name = "acme/other")),
      ).ignored,
    ).toEqual(["no model is configured for repository acme/other"]);
    expect(
      routePush(
        config,
        push((p) => (p.ref = "refs/tags/v1.0")),
      ).ignored,
    ).toEqual(["fraud-detector: tag v1.0 does not match promote/fraud-detector/*"]);
    // A tag on a tree or blob: not deleted, but no head commit to promote.
    expect(
      routePush(
        config,
        push((p) => {
          p.ref = "refs/tags/promote/fraud-detector/tree";
          p.head_commit = null;
        }),
      ).ignored,
    ).toEqual(["tag promote/fraud-detector/tree does not point to a commit"]);
    expect(
      routePush(
        config,
        push((p) => (p.ref = "refs/notes/commits")),
      ).ignored,
    ).toEqual(["ref refs/notes/commits is neither a branch nor a tag"]);
  });

  it("does not let the default pattern's * cross a slash", () => {
    const route = routePush(
      config,
      push((p) => (p.ref = "refs/tags/promote/fraud-detector/a/b")),
    );
    expect(route.decisions).toEqual([]);
  });
});
