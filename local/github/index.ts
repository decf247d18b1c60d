export { CredentialError, LocalAppAuth, type LocalGithubApp } from "./app-auth.js";
export { type GithubCall, type LocalGithubServer, startGithubServer } from "./server.js";
export { type CommitSeed, LocalGithubState, type LocalStatus } from "./state.js";
