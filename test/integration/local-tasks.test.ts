import { createServer, type IncomingMessage, type Server } from "node:http";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type LocalTasksServer, startTasksServer } from "../../local/tasks/index.js";
import { loadConfig } from "../../shared/config.js";
import type { DeploymentReady } from "../../shared/contracts.js";
import { loadSettings } from "../../shared/settings.js";
import { Scheduled } from "../../shared/step-scheduler.js";
import {
  CloudTasksScheduler,
  rolloutQueuePath,
  rolloutQueueTarget,
} from "../../shared/tasks/cloud-tasks-scheduler.js";
import { eventually } from "../support/eventually.js";

// The real @google-cloud/tasks client, constructed as in production (only the endpoint differs), against the
// local Cloud Tasks server: a task waits for its schedule time, arrives with a bearer token, is retried on a 5xx.
const config = loadConfig({});
const queue = rolloutQueuePath(config);
const ready = { model: "fraud-detector", commit: "a".repeat(40), rolloutStep: 1 } as DeploymentReady;

describe("the local Cloud Tasks server through the real client", () => {
  let tasks: LocalTasksServer;
  let target: Server;
  let url = "";
  const received: Array<{ at: number; headers: IncomingMessage["headers"]; body: string }> = [];
  let answers: number[] = [];

  beforeAll(async () => {
    tasks = await startTasksServer({
      queues: { [queue]: { maxAttempts: 3, minBackoffMs: 100, maxBackoffMs: 200 } },
    });
    target = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on("data", (c: Buffer) => chunks.push(c));
      request.on("end", () => {
        received.push({ at: Date.now(), headers: request.headers, body: Buffer.concat(chunks).toString() });
        response.statusCode = answers.shift() ?? 200;
        response.end();
      });
    });
    await new Promise<void>((resolve) => target.listen(0, "127.0.0.1", resolve));
    const address = target.address();
    url = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}/`;
  });

  afterEach(() => {
    received.length = 0;
    answers = [];
  });

  afterAll(async () => {
    await tasks?.close();
    await new Promise((resolve) => target?.close(resolve));
  });

  const scheduler = () => {
    const settings = loadSettings({
      MODELGATE_TASKS_ENDPOINT: tasks.address,
      MODELGATE_TASKS_INSECURE: "true",
      MODELGATE_ADVANCE_ROLLOUT_URL: url,
    });
    return new CloudTasksScheduler(rolloutQueueTarget({ config, settings }));
  };

  it("holds a task until its schedule time, then delivers its body with an OIDC-like token for the audience", async () => {
    const client = scheduler();
    try {
      const at = new Date(Date.now() + 600);
      expect(await client.schedule("step-task-1", ready, at)).toBe(Scheduled.scheduled);
      expect(tasks.queue(queue)?.get(`${queue}/tasks/step-task-1`)).toBeDefined();
      await eventually("the task's delivery", () => received[0], { timeoutMs: 5_000 });
      expect(received[0]?.at).toBeGreaterThanOrEqual(at.getTime());
      expect(JSON.parse(received[0]?.body ?? "{}")).toMatchObject({ rolloutStep: 1 });
      const token = String(received[0]?.headers.authorization).replace(/^Bearer /, "");
      const claims = JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString());
      expect(claims).toMatchObject({
        email: `mg-rollout-tasks@${config.project}.iam.gserviceaccount.com`,
        aud: url,
      });
      expect(received[0]?.headers["x-cloudtasks-taskname"]).toBe("step-task-1");
    } finally {
      await client.close();
    }
  });

  it("refuses a second task of the same name, even after the first ran: already scheduled", async () => {
    const client = scheduler();
    try {
      expect(await client.schedule("step-task-2", ready, new Date())).toBe(Scheduled.scheduled);
      await eventually("the first delivery", () => received[0], { timeoutMs: 5_000 });
      expect(await client.schedule("step-task-2", ready, new Date())).toBe(Scheduled.alreadyScheduled);
      expect(received).toHaveLength(1);
    } finally {
      await client.close();
    }
  });

  it("retries a task its target answers with a 5xx, up to the queue's attempts", async () => {
    answers = [503, 500, 503];
    const client = scheduler();
    try {
      await client.schedule("step-task-3", ready, new Date());
      await eventually("three attempts", () => (received.length >= 3 ? true : undefined), {
        timeoutMs: 5_000,
      });
      await new Promise((resolve) => setTimeout(resolve, 400));
      expect(received.map((r) => r.headers["x-cloudtasks-taskretrycount"])).toEqual(["0", "1", "2"]);
      expect(tasks.queue(queue)?.get(`${queue}/tasks/step-task-3`)).toBeUndefined();
    } finally {
      await client.close();
    }
  });

  it("names the missing setting when advanceRollout's URL is not configured", async () => {
    const settings = loadSettings({
      MODELGATE_TASKS_ENDPOINT: tasks.address,
      MODELGATE_TASKS_INSECURE: "true",
    });
    const client = new CloudTasksScheduler(rolloutQueueTarget({ config, settings }));
    await expect(client.schedule("step-task-4", ready, new Date())).rejects.toThrow(
      /MODELGATE_ADVANCE_ROLLOUT_URL/,
    );
  });
});
