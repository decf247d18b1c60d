import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import getRawBody from "raw-body";
import { CredentialError, LocalAppAuth, type LocalGithubApp } from "./app-auth.js";
import { type GithubRequest, type GithubResponse, routes } from "./routes.js";
import { LocalGithubState } from "./state.js";

/** One call the stand-in answered, for tests and `npm start`'s printout. */
export interface GithubCall {
  method: string;
  path: string;
  status: number;
  at: string;
}

export interface GithubServerOptions {
  app: LocalGithubApp;
  port?: number;
  state?: LocalGithubState;
  log?: (entry: Record<string, unknown>) => void;
  now?: () => number;
}

export interface LocalGithubServer {
  /** The API base URL, what MODELGATE_GITHUB_API_URL names (`http://127.0.0.1:<port>`). */
  url: string;
  state: LocalGithubState;
  calls: GithubCall[];
  close(): Promise<void>;
}

/** A request body larger than this is refused: modelgate sends commit statuses of a few hundred bytes. */
const maxBodyBytes = 64 * 1024;
/** Calls kept for the printout; the oldest are dropped beyond this. */
const maxCalls = 10_000;

/**
 * A local stand-in for the GitHub REST API that the real octokit client talks to: App JWT → installation token,
 * repository contents and commits per ref, pull requests and reviews, commit statuses (local/github/README.md).
 */
export async function startGithubServer(options: GithubServerOptions): Promise<LocalGithubServer> {
  const state = options.state ?? new LocalGithubState();
  const auth = new LocalAppAuth(options.app, options.now);
  const calls: GithubCall[] = [];
  let baseUrl = "";
  const server = createServer((req, res) => {
    handle(req, { state, auth, baseUrl })
      .then((response) => {
        const path = (req.url ?? "/").split("?")[0] ?? "/";
        calls.push({
          method: req.method ?? "GET",
          path,
          status: response.status,
          at: new Date().toISOString(),
        });
        if (calls.length > maxCalls) calls.splice(0, calls.length - maxCalls);
        options.log?.({ service: "github", method: req.method, path, status: response.status });
        send(res, response);
      })
      .catch((error: unknown) => send(res, { status: 500, body: { message: String(error) } }));
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: baseUrl,
    state,
    calls,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function handle(
  req: IncomingMessage,
  ctx: { state: LocalGithubState; auth: LocalAppAuth; baseUrl: string },
): Promise<GithubResponse> {
  const url = new URL(req.url ?? "/", "http://github.local");
  const method = req.method ?? "GET";
  const route = routes.find((r) => r.method === method && r.pattern.test(url.pathname));
  if (!route) return { status: 404, body: { message: "Not Found" } };
  let body: unknown;
  try {
    const raw = await getRawBody(req, { limit: maxBodyBytes });
    body = raw.length === 0 ? undefined : JSON.parse(raw.toString("utf8"));
  } catch (error) {
    return { status: 400, body: { message: `Problems parsing JSON (${(error as Error).message})` } };
  }
  const request: GithubRequest = {
    method,
    path: url.pathname,
    query: url.searchParams,
    authorization: req.headers.authorization,
    body,
  };
  try {
    if (route.credential === "app-jwt") await ctx.auth.verifyAppJwt(request.authorization);
    else ctx.auth.verifyInstallationToken(request.authorization);
  } catch (error) {
    if (error instanceof CredentialError) return { status: 401, body: { message: error.message } };
    throw error;
  }
  const match = route.pattern.exec(url.pathname)?.slice(1) ?? [];
  return route.handle(match, request, ctx);
}

function send(res: ServerResponse, response: GithubResponse): void {
  const text = JSON.stringify(response.body);
  res.writeHead(response.status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
}
