import { type Config, parseConfig } from "../../shared/config.js";

/** The configuration the ingress tests run with: two models, one per way Tekton can report. */
export function ingressTestConfig(options: { bucket?: string } = {}): Config {
  return parseConfig(ingressTestConfigYaml(options), "ingress test config");
}

/** The same configuration as YAML text, for a function that loads it from MODELGATE_CONFIG. */
export function ingressTestConfigYaml(options: { bucket?: string } = {}): string {
  return `
project: local-project
region: us-central1
bucket: ${options.bucket ?? "modelgate-artifacts"}
github:
  repositories: [acme/fraud-detector, acme/churn]
tekton:
  namespaces: [ml-ci]
flux:
  objects:
    - { kind: Kustomization, namespace: flux-system, name: churn-serving, repository: acme/churn }
models:
  fraud-detector:
    repository: acme/fraud-detector
    branch: main
    paths: ["models/fraud-detector/**", "data/fraud-detector/**"]
    training: { container: "us-docker.pkg.dev/local-project/modelgate/fraud-trainer:1" }
    serving: { container: "us-docker.pkg.dev/local-project/modelgate/fraud-serving:1" }
    endpoint: fraud-detector
    promotion: { promoters: [grace] }
    verification: { goldenSet: golden/fraud-detector/golden.jsonl }
    tekton: { pipelines: [fraud-detector-build], emits: artifact-ready }
  churn:
    repository: acme/churn
    paths: ["churn/**/*.py"]
    training:
      container: "us-docker.pkg.dev/local-project/modelgate/churn-trainer:1"
      ciImageRepository: us-docker.pkg.dev/local-project/modelgate/churn-trainer
    serving: { container: "us-docker.pkg.dev/local-project/modelgate/churn-serving:1" }
    endpoint: churn
    promotion: { tagPattern: "release/churn-*", promoters: [Release-Bot] }
    verification: { goldenSet: golden/churn/golden.jsonl }
    tekton:
      pipelines: [churn-image]
      emits: training-requested
      results: { model: MODEL, commit: REVISION, image: IMAGE }
`;
}
