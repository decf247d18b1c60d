import type { GithubResponse } from "./routes.js";

/** GitHub's 404, as it answers for anything the caller may not see. */
export const notFound = (): GithubResponse => ({
  status: 404,
  body: { message: "Not Found", documentation_url: "https://docs.github.com/rest" },
});

/** GitHub's 422 for a request it understood and refuses, with its message. */
export const unprocessable = (message: string): GithubResponse => ({
  status: 422,
  body: { message, documentation_url: "https://docs.github.com/rest" },
});

/** A user as GitHub shows one, its id derived from the login. */
export function userOf(login: string) {
  return { login, id: [...login].reduce((n, c) => n * 31 + c.charCodeAt(0), 7) % 1e9, type: "User" };
}
