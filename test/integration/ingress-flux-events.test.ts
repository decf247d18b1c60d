import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { fluxMaxBodyBytes } from "../../functions/flux-events/settings.js";
import { IngressAction } from "../../shared/ledger-actions.js";
import { FunctionName, Topic } from "../../shared/topology.js";
import { fluxCommit, fluxEventBody, fluxHeaders, fluxSecret } from "../support/ingress-flux.js";
import { send } from "../support/ingress-http.js";
import { serveForFile } from "../support/ingress-served.js";

// The key is read from a mounted file, as on Cloud Run, holding the key being retired and the current one.
const retiredSecret = "retired-flux-hmac-key-retired-flux-hmac-key";
const secretFile = join(mkdtempSync(join(tmpdir(), "modelgate-flux-")), "latest");
writeFileSync(secretFile, `${retiredSecret}\n${fluxSecret}\n`);
const file = serveForFile(FunctionName.fluxEvents, {
  topics: [Topic.releasesRequested],
  env: { FLUX_WEBHOOK_SECRET_FILE: secretFile },
});

function post(body: string, secret: string | null = fluxSecret) {
  return send(file.fn.url, { headers: fluxHeaders(body, secret), body });
}

describe("fluxEvents served by the Functions Framework", () => {
  it("publishes releases-requested through Pub/Sub for a reconciled commit and records it in the ledger", async () => {
    const response = await post(fluxEventBody(new Date()));
    expect(response).toMatchObject({ status: 202, body: { status: "accepted" } });
    const [message] = await file.stack.pull(Topic.releasesRequested, 1);
    expect(message).toMatchObject({
      repository: "acme/churn",
      commit: fluxCommit,
      trigger: "flux",
      ref: "main",
    });
    expect(await file.stack.ledger.read("churn", fluxCommit)).toMatchObject([
      { step: "fluxEvents", action: Topic.releasesRequested, outcome: "accepted" },
    ]);
  });

  it("answers a resent event (signed with the retired key) as a duplicate and publishes nothing", async () => {
    const again = await post(fluxEventBody(new Date()), retiredSecret);
    expect(again).toMatchObject({ status: 200, body: { status: "duplicate" } });
    expect(await file.stack.drain(Topic.releasesRequested)).toEqual([]);
  });

  it("refuses a captured event replayed after the window, and records the refusal", async () => {
    const body = fluxEventBody(new Date(Date.now() - 60 * 60_000), (event) => {
      event.metadata.revision = `main@sha1:${"c".repeat(40)}`;
    });
    expect(await post(body)).toMatchObject({
      status: 422,
      body: { reason: expect.stringMatching(/replayed/) },
    });
    expect(await file.stack.drain(Topic.releasesRequested)).toEqual([]);
    expect(await file.stack.ledger.read("_unattributed")).toMatchObject([
      { step: "fluxEvents", action: IngressAction.fluxEventRefused, outcome: "refused" },
    ]);
  });

  it("refuses a forged event with 401 and publishes nothing", async () => {
    const response = await post(fluxEventBody(new Date()), "forged-key-forged-key-forged-key-forged");
    expect(response).toMatchObject({ status: 401, body: { status: "refused" } });
    expect(await file.stack.drain(Topic.releasesRequested)).toEqual([]);
  });

  it("refuses a body over the limit before reading it", async () => {
    const body = " ".repeat(fluxMaxBodyBytes + 1);
    const response = await send(file.fn.url, { headers: fluxHeaders(body), body });
    expect(response).toMatchObject({ status: 413, body: { status: "refused" } });
  });
});
