import { describe, expect, it } from "vitest";
import {
  googleDoctor,
  type PermissionTester,
  type Probe,
  planProbes,
  type RequestClient,
  restTester,
  serviceAccountEmail,
} from "../../cli/doctor-google.js";
import { hasProblems, renderReport } from "../../cli/doctor-report.js";
import { entitlements, Identity, identityNames, scopeKey } from "../../shared/permissions.js";
import { Topic } from "../../shared/topology.js";

// The Google Cloud path cannot run here: its comparison is tested with fake testIamPermissions answers.
const config = { project: "acme-ml", bucket: "acme-artifacts", region: "us-central1" };

/** A deployment that holds exactly what the table allows on every probed resource. */
const exact: PermissionTester = async (identity, probe) =>
  probe.permissions.filter((p) => probe.expected(identity, p));

/** `exact`, changed for one identity on one probe. */
function changed(who: Identity, scope: string, change: (held: string[]) => string[]): PermissionTester {
  return async (identity, probe) => {
    const held = await exact(identity, probe);
    return identity === who && probe.scope === scope ? change(held) : held;
  };
}

describe("modelgate doctor against Google Cloud (fakes)", () => {
  it("finds nothing when every account holds exactly the table's grants", async () => {
    const report = await googleDoctor(config, exact);
    expect(hasProblems(report)).toBe(false);
    expect(report.identities.map((i) => i.identity)).toEqual(identityNames);
    expect(report.identities.every((i) => i.checked > 0)).toBe(true);
    expect(renderReport(report)).toContain("every identity holds exactly the permission table's grants");
  });

  it("reports a missing project permission with the table's reason", async () => {
    const report = await googleDoctor(
      config,
      changed(Identity.launchTraining, "project", (held) =>
        held.filter((p) => p !== "aiplatform.customJobs.create"),
      ),
    );
    const launch = report.identities.find((i) => i.identity === Identity.launchTraining);
    expect(launch?.missing).toEqual([
      expect.objectContaining({ permission: "aiplatform.customJobs.create", scope: "project" }),
    ]);
    expect(launch?.missing[0]?.why).toContain("create the training job");
    expect(hasProblems(report)).toBe(true);
  });

  it("reports excess: a Vertex AI right, a topic, a whole-bucket grant, an actAs", async () => {
    const tester: PermissionTester = async (identity, probe) => {
      const held = await exact(identity, probe);
      if (identity === Identity.githubWebhook && probe.scope === "project")
        held.push("aiplatform.customJobs.create");
      if (identity === Identity.githubWebhook && probe.scope === `topic:${Topic.artifactReady}`)
        held.push("pubsub.topics.publish");
      if (identity === Identity.verifyDeployment && probe.scope.startsWith("bucket:"))
        held.push("storage.objects.get");
      if (identity === Identity.deployModel && probe.scope === "service-account:trainer")
        held.push("iam.serviceAccounts.actAs");
      return held;
    };
    const report = await googleDoctor(config, tester);
    const excess = (i: Identity) =>
      report.identities.find((r) => r.identity === i)?.excess.map((g) => `${g.permission} ${g.scope}`);
    expect(excess(Identity.githubWebhook)).toEqual([
      "aiplatform.customJobs.create project",
      "pubsub.topics.publish topic:artifact-ready",
    ]);
    expect(excess(Identity.verifyDeployment)).toEqual([
      "storage.objects.get bucket:acme-artifacts (whole bucket)",
    ]);
    expect(excess(Identity.deployModel)).toEqual(["iam.serviceAccounts.actAs service-account:trainer"]);
    const text = renderReport(report);
    expect(text).toMatch(/githubWebhook\s+excess\s+aiplatform\.customJobs\.create\s+on project/);
    expect(text).toContain("4 problem(s)");
  });

  it("reports a missing topic publish and a missing secret", async () => {
    const report = await googleDoctor(config, async (identity, probe) => {
      const held = await exact(identity, probe);
      if (identity === Identity.deployModel && probe.scope === `topic:${Topic.deploymentReady}`) return [];
      if (identity === Identity.githubWebhook && probe.scope.startsWith("secret:")) return [];
      return held;
    });
    const missing = (i: Identity) =>
      report.identities.find((r) => r.identity === i)?.missing.map((g) => `${g.permission} ${g.scope}`);
    expect(missing(Identity.deployModel)).toEqual(["pubsub.topics.publish topic:deployment-ready"]);
    expect(missing(Identity.githubWebhook)).toEqual([
      "secretmanager.versions.access secret:modelgate-github-webhook-secret",
    ]);
  });

  it("turns a refused impersonation into an error for that identity, once", async () => {
    const report = await googleDoctor(config, async (identity, probe) => {
      if (identity === Identity.trainer) {
        throw new Error("unable to impersonate: iam.serviceAccounts.getAccessToken denied");
      }
      return exact(identity, probe);
    });
    const trainer = report.identities.find((i) => i.identity === Identity.trainer);
    expect(trainer?.errors).toHaveLength(1);
    expect(hasProblems(report)).toBe(true);
    expect(renderReport(report)).toMatch(/trainer\s+mg-trainer\s+0\s+0\s+0\s+ERROR/);
  });

  it("probes every grant the table makes outside the bucket (so a missing one is seen)", () => {
    const probes = planProbes(config);
    for (const e of entitlements()) {
      if (e.scope.kind === "bucket-prefix") continue;
      const covering = probes.filter(
        (p) => p.permissions.includes(e.permission) && p.expected(e.identity, e.permission),
      );
      expect(
        covering.map((p) => p.scope),
        `${e.identity} ${e.permission} ${scopeKey(e.scope)}`,
      ).toContain(scopeKey(e.scope));
    }
  });

  it("checks only the specified identities", async () => {
    const report = await googleDoctor(config, exact, [Identity.rolloutModel]);
    expect(report.identities.map((i) => i.identity)).toEqual([Identity.rolloutModel]);
  });

  it("sends each probe as the service's testIamPermissions request, one client per identity", async () => {
    const requests: Array<{ who: Identity; url: string; method: string; data?: unknown }> = [];
    const made: Identity[] = [];
    const tester = restTester(async (who) => {
      made.push(who);
      const client: RequestClient = {
        async request<T>(options: { url: string; method: "GET" | "POST"; data?: unknown }) {
          requests.push({ who, ...options });
          return { data: { permissions: ["pubsub.topics.publish"] } as T };
        },
      };
      return client;
    });
    const probes = planProbes(config);
    const byScope = (scope: string) => probes.find((p) => p.scope === scope) as Probe;
    const topic = byScope(`topic:${Topic.trainingRequested}`);
    expect(await tester(Identity.githubWebhook, topic)).toEqual(["pubsub.topics.publish"]);
    await tester(Identity.githubWebhook, byScope("bucket:acme-artifacts (whole bucket)"));
    await tester(Identity.githubWebhook, byScope("project"));
    expect(made).toEqual([Identity.githubWebhook]);
    expect(requests[0]).toMatchObject({
      method: "POST",
      url: "https://pubsub.googleapis.com/v1/projects/acme-ml/topics/training-requested:testIamPermissions",
      data: { permissions: topic.permissions },
    });
    expect(requests[1]?.method).toBe("GET");
    expect(requests[1]?.url).toBe(
      "https://storage.googleapis.com/storage/v1/b/acme-artifacts/iam/testPermissions?permissions=storage.objects.get&permissions=storage.objects.list&permissions=storage.objects.create&permissions=storage.objects.delete&permissions=storage.objects.update",
    );
    expect(requests[2]?.url).toBe(
      "https://cloudresourcemanager.googleapis.com/v1/projects/acme-ml:testIamPermissions",
    );
    expect(serviceAccountEmail("acme-ml", Identity.trainer)).toBe(
      "mg-trainer@acme-ml.iam.gserviceaccount.com",
    );
    expect(byScope("service-account:trainer").request.url).toBe(
      "https://iam.googleapis.com/v1/projects/acme-ml/serviceAccounts/mg-trainer@acme-ml.iam.gserviceaccount.com:testIamPermissions",
    );
  });
});
