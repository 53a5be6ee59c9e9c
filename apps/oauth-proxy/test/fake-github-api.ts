// GitHub's "check a token" API for the workerd tests' refreshes (the github preset's revalidate
// on every refresh of ours), served to the Worker's outbound fetches in Node: every token is the
// user FAKE_GITHUB_USER_ID's.

/** The API origin the workerd bindings give the Worker (GITHUB_API_URL). */
const API = "https://api.github.invalid";
/** The GitHub user every checked token belongs to; a grant's subject. */
export const FAKE_GITHUB_USER_ID = 4242;

/** The fake API's answer to `request`, or `undefined` when the request is not for it. */
export function fakeGithubApi(request: Request): Response | undefined {
  const url = new URL(request.url);
  if (url.origin !== API) return undefined;
  if (request.method === "POST" && url.pathname === "/applications/workerd-test-client/token") {
    return Response.json({ user: { id: FAKE_GITHUB_USER_ID, login: "octo" } });
  }
  return new Response("not found", { status: 404 });
}
