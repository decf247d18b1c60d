import { describe, expect, it } from "vitest";
import { PushPayload } from "../../functions/github-webhook/payloads.js";
import { routePush } from "../../functions/github-webhook/route-push.js";
import { parseConfig } from "../../shared/config.js";
import { ingressTestConfig, ingressTestConfigYaml } from "../support/ingress-config.js";
import { ownJson } from "../support/ingress-fixtures.js";

const config = ingressTestConfig();
const sha = (digit: string) => digit.repeat(40);
const now = new Date("2024-06-11T10:00:00.000Z");

function push(change: (payload: Record<string, any>) => void = () => {}) {
  const payload = ownJson<Record<string, any>>("github/push-main.json");
  change(payload);
  return PushPayload.parse(payload);
}

/** A push of one commit that has `path` in its `field` list (added, modified or removed). */
function pushTouching(field: string, path: string) {
  return push((p) => {
    p.commits = [{ id: sha("a"), added: [], modified: [], removed: [], [field]: [path] }];
  });
}

describe("routePush and the releases file", () => {
  it.each(["added", "modified", "removed"])(
    "applies the releases file when a push to a followed branch %s it",
    (field) => {
      const route = routePush(config, pushTouching(field, "modelgate.releases.yaml"), now);
      expect(route.decisions).toEqual([
        expect.objectContaining({
          kind: "release",
          repository: "acme/fraud-detector",
          reason: "changes modelgate.releases.yaml",
        }),
      ]);
      expect(route.decisions[0]?.commit).toMatch(/^[0-9a-f]{40}$/);
    },
  );

  it("leaves the releases file alone when the push does not touch it, or goes to a branch no model follows", () => {
    const other = pushTouching("added", "README.md");
    expect(routePush(config, other, now).decisions).toEqual([]);
    const elsewhere = push((p) => {
      p.ref = "refs/heads/feature";
      p.commits = [{ id: sha("a"), added: ["modelgate.releases.yaml"], modified: [], removed: [] }];
    });
    expect(routePush(config, elsewhere, now).decisions).toEqual([]);
  });

  it("reads the releases file at the configured path", () => {
    const moved = parseConfig(
      ingressTestConfigYaml().replace("github:\n", "github:\n  releasesFile: deploy/releases.yaml\n"),
      "test",
    );
    const route = routePush(moved, pushTouching("modified", "deploy/releases.yaml"), now);
    expect(route.decisions).toMatchObject([{ kind: "release", reason: "changes deploy/releases.yaml" }]);
  });
});

describe("routePush", () => {
  it("retrains only the models whose paths a pushed commit touches (added, modified or removed)", () => {
    for (const field of ["added", "modified", "removed"]) {
      const route = routePush(config, pushTouching(field, "data/fraud-detector/x.csv"), now);
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
        now,
      );
    expect(churn("refs/heads/trunk", "trunk").decisions).toMatchObject([{ kind: "train", model: "churn" }]);
    expect(churn("refs/heads/main", "trunk")).toEqual({
      decisions: [],
      ignored: ["churn: follows branch trunk, not main"],
      onBranch: [],
    });
  });

  it("assumes the paths and the releases file were touched when GitHub truncated the commit list at 2048", () => {
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
      now,
    );
    expect(route.decisions).toMatchObject([
      { kind: "train", reason: expect.stringMatching(/GitHub's limit/) },
      { kind: "release", reason: expect.stringMatching(/truncated/) },
    ]);
  });

  it.each<[string, (p: Record<string, any>) => void, string]>([
    [
      "a repository no model uses",
      (p) => (p.repository.full_name = "acme/other"),
      "no model is configured for repository acme/other",
    ],
    [
      "a tag that matches no pattern",
      (p) => (p.ref = "refs/tags/v1.0"),
      "fraud-detector: tag v1.0 does not match promote/fraud-detector/*",
    ],
    // A tag on a tree or blob: not deleted, but no head commit to promote.
    [
      "a tag on no commit",
      (p) => {
        p.ref = "refs/tags/promote/fraud-detector/tree";
        p.head_commit = null;
      },
      "tag promote/fraud-detector/tree does not point to a commit",
    ],
    [
      "a ref that is neither branch nor tag",
      (p) => (p.ref = "refs/notes/commits"),
      "ref refs/notes/commits is neither a branch nor a tag",
    ],
  ])("ignores %s", (_name, change, reason) => {
    expect(routePush(config, push(change), now).ignored).toEqual([reason]);
  });

  it("does not let the default pattern's * cross a slash", () => {
    const route = routePush(
      config,
      push((p) => (p.ref = "refs/tags/promote/fraud-detector/a/b")),
      now,
    );
    expect(route.decisions).toEqual([]);
  });

  describe("promotion tags", () => {
    const tagPush = (change: (payload: Record<string, any>) => void = () => {}) => {
      const payload = ownJson<Record<string, any>>("github/push-annotated-tag.json");
      change(payload);
      return PushPayload.parse(payload);
    };
    const withPromoters = (promoters: string[]) =>
      parseConfig(
        ingressTestConfigYaml().replace(
          "promotion: { promoters: [grace] }",
          `promotion: { promoters: [${promoters.join(", ")}] }`,
        ),
      );

    it("promotes a fresh tag push by a configured promoter, with what a replay of it would repeat", () => {
      expect(routePush(config, tagPush(), now).decisions).toEqual([
        {
          kind: "promote",
          model: "fraud-detector",
          repository: "acme/fraud-detector",
          commit: "3f2c1a9e8b7d6c5f4a3b2c1d0e9f8a7b6c5d4e3f",
          tag: "promote/fraud-detector/2024-06-11",
          after: "c0ffee0123456789abcdef0123456789abcdef01",
          pushedAt: new Date("2024-06-11T09:55:00.000Z"),
        },
      ]);
    });

    it("refuses every promotion tag of a model with no promoters configured (deny by default)", () => {
      const route = routePush(withPromoters([]), tagPush(), now);
      expect(route.decisions).toMatchObject([
        {
          kind: "refuse",
          model: "fraud-detector",
          reason:
            "fraud-detector has no promoters configured (promotion.promoters), so its promotion tags are refused",
        },
      ]);
    });

    it.each([
      [
        "older than promotion.maxTagAgeMinutes",
        (p: Record<string, any>) => (p.repository.pushed_at = 1718096340),
        /pushed at 2024-06-11T08:59:00.000Z, 61 minutes ago; promotions older than 60 minutes/,
      ],
      [
        "without repository.pushed_at",
        (p: Record<string, any>) => delete p.repository.pushed_at,
        /has no repository.pushed_at/,
      ],
    ])("refuses a tag push %s", (_name, change, reason) => {
      expect(routePush(config, tagPush(change), now).decisions).toMatchObject([
        { kind: "refuse", model: "fraud-detector", reason: expect.stringMatching(reason) },
      ]);
    });
  });

  it("lists the models whose followed branch the push moved, even when it retrains none", () => {
    const route = routePush(
      config,
      push((p) => {
        p.commits = [{ id: sha("d"), added: [], modified: ["README.md"], removed: [] }];
      }),
      now,
    );
    expect(route.decisions).toEqual([]);
    expect(route.onBranch).toEqual([
      { model: "fraud-detector", commit: "3f2c1a9e8b7d6c5f4a3b2c1d0e9f8a7b6c5d4e3f" },
    ]);
  });
});
