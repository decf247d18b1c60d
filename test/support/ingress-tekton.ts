import { randomUUID } from "node:crypto";

/** The token the Tekton ingress tests' forwarder sends. */
export const sinkToken = "modelgate-test-sink-token-0123456789abcdef";

export interface TektonEventOptions {
  type?: string;
  source?: string;
  id?: string;
  subject?: string;
  token?: string | null;
}

/** A run's event source as Tekton builds it: `/apis/tekton.dev/v1beta1/namespaces/<ns>/<resource>/<name>`. */
export function runSource(body: Record<string, any>): string {
  const kind = "pipelineRun" in body ? "pipelineruns" : "taskruns";
  const run = body.pipelineRun ?? body.taskRun;
  return `/apis/tekton.dev/v1beta1/namespaces/${run.metadata.namespace}/${kind}/${run.metadata.name}`;
}

/** A binary-mode CloudEvent from Tekton: `ce-*` headers, the run as the JSON body, the forwarder's token. */
export function binaryTektonEvent(
  body: Record<string, any>,
  options: TektonEventOptions = {},
): { headers: Record<string, string>; body: string } {
  const run = body.pipelineRun ?? body.taskRun;
  return {
    headers: {
      "content-type": "application/json",
      "ce-specversion": "1.0",
      "ce-id": options.id ?? randomUUID(),
      "ce-source": options.source ?? runSource(body),
      "ce-subject": options.subject ?? run.metadata.name,
      "ce-time": "2024-06-11T09:50:14.528311Z",
      "ce-type":
        options.type ?? `dev.tekton.event.${"pipelineRun" in body ? "pipelinerun" : "taskrun"}.successful.v1`,
      "user-agent": "Go-http-client/1.1",
      ...(options.token === null ? {} : { "x-modelgate-token": options.token ?? sinkToken }),
    },
    body: JSON.stringify(body),
  };
}

/** The same event in structured mode: one `application/cloudevents+json` document. */
export function structuredTektonEvent(
  body: Record<string, any>,
  options: TektonEventOptions = {},
): { headers: Record<string, string>; body: string } {
  const binary = binaryTektonEvent(body, options);
  const attribute = (name: string) => binary.headers[`ce-${name}`];
  return {
    headers: {
      "content-type": "application/cloudevents+json; charset=utf-8",
      ...(options.token === null ? {} : { "x-modelgate-token": options.token ?? sinkToken }),
    },
    body: JSON.stringify({
      specversion: attribute("specversion"),
      id: attribute("id"),
      source: attribute("source"),
      subject: attribute("subject"),
      time: attribute("time"),
      type: attribute("type"),
      datacontenttype: "application/json",
      data: body,
    }),
  };
}
