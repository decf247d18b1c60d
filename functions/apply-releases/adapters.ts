import type { CommitStatuses, GithubRepositories } from "../../shared/github/ports.js";
import type { EndpointDeployer } from "../../shared/model-ports.js";
import { adaptersPerRuntime } from "../../shared/vertex/adapters-per-runtime.js";
import { VertexEndpointDeployer } from "../../shared/vertex/endpoints-adapter.js";

/** The ports applyReleases calls: GitHub as the App, and the endpoint (read only) to see what serves. */
export interface ApplyReleasesAdapters {
  github: GithubRepositories & CommitStatuses;
  endpoints: Pick<EndpointDeployer, "getEndpoint">;
}

/** The real endpoint adapter for a runtime, made once per instance (its client loads on the first call). */
export const applyReleasesEndpoints = adaptersPerRuntime((location) => new VertexEndpointDeployer(location));
