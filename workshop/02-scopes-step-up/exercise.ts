// Exercise 02: a new tool behind a new scope, and the step-up a real client goes through to use it.
// The check starts full-oauth-provider under `wrangler dev` (free port, state under .state/02),
// adds a person with its users CLI, and drives an SDK v2 client through sign-in, the notes:write
// step-up, and the notes:admin step-up, looking at what the client and the wire saw at each stage.
import { bearerChallenge, freePort, jsonRpcOf } from "@mcp-auth/dev-harness";
import { connectClient, resultText, type ContractOAuthProvider } from "@mcp-auth/mcp-core/testing";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ClientOAuth } from "../../rehearse/lib/people.ts";
import { appCli, withStage, type App } from "../lib/apps.ts";
import type { Criterion, Exercise, WorkshopContext } from "../lib/exercise.ts";
import { applyPatch, patchIsApplied } from "../lib/git.ts";

const KIND = "sdk-v2 (2026-07-28)";
const PATCH = join("workshop", "02-scopes-step-up", "solution.patch");
/** Values for this check's own copy of the app only (never deployed, never pnpm dev's). */
const PEPPER = "workshop-only-password-pepper-never-deployed-02";
const SESSION_SECRET = "workshop-only-session-secret-never-deployed-0002";

/** Scope values of a space-separated list, as a set. */
const scopeSet = (value: string | undefined) => new Set((value ?? "").split(" ").filter((scope) => scope !== ""));

async function startApp(ctx: WorkshopContext, body: (app: App) => Promise<Criterion[]>): Promise<Criterion[]> {
  return withStage(ctx, async (stage) => {
    const port = await freePort();
    const origin = `http://localhost:${String(port)}`;
    ctx.say(`starting full-oauth-provider with your change on ${origin} (wrangler dev, about a minute)…`);
    let app: App;
    try {
      app = await stage.start(
        "full-oauth-provider",
        {
          PUBLIC_ORIGIN: origin,
          PASSWORD_PEPPER: PEPPER,
          PASSWORD_PEPPER_PREVIOUS: "",
          SESSION_SECRET,
          ALLOW_INSECURE_HTTP_LOOPBACK: "true",
          EXTRA_RESOURCES: "{}",
        },
        port,
      );
    } catch (error) {
      return [
        {
          name: "full-oauth-provider starts with your change",
          ok: false,
          detail: `wrangler dev did not start it (a type or syntax error in your change?): ${String(error).slice(0, 600)}`,
        },
      ];
    }
    return [
      { name: "full-oauth-provider starts with your change", ok: true, detail: `answering on ${origin}` },
      ...(await body(app)),
    ];
  });
}

async function checkStepUp(ctx: WorkshopContext, app: App): Promise<Criterion[]> {
  const criteria: Criterion[] = [];
  const mcp = new URL("/mcp", app.origin);

  // 1. The scope exists where clients discover what they may ask for (RFC 8414 scopes_supported;
  // the protected-resource metadata names only the scope to start with).
  const metadata = (await (await fetch(`${app.origin}/.well-known/oauth-authorization-server`)).json()) as {
    scopes_supported?: string[];
  };
  const supported = metadata.scopes_supported ?? [];
  criteria.push({
    name: "notes:admin is a scope the server advertises",
    ok: supported.includes("notes:admin"),
    detail: supported.includes("notes:admin")
      ? `scopes_supported: ${supported.join(" ")}`
      : `scopes_supported is "${supported.join(" ")}": notes:admin is missing — add it to SCOPES in packages/mcp-core/src/scopes.ts (and say what it allows on the consent page)`,
  });

  // 2. A person signs in through the SDK's own auth(); the browser is the headless driver.
  ctx.say("adding a person with the users CLI and signing in (headless browser)…");
  const added = await appCli(app, "users.ts", ["add", "--email", "learner@example.com", "--name", "Learner"], {
    PASSWORD_PEPPER: PEPPER,
  });
  const provider = new ClientOAuth("workshop 02 (SDK v2)", {
    login: "learner@example.com",
    password: String((added as Record<string, unknown>)["password"]),
  });
  const connection = {
    url: mcp,
    authProvider: (): ContractOAuthProvider => provider,
  };
  /** Calls `tool` once on a fresh connection; a refusal (401/403) comes back as the thrown error. */
  const callOnce = async (tool: string, args: Record<string, unknown> = {}) => {
    const client = await connectClient(KIND, connection);
    try {
      return await client.callTool(tool, args);
    } finally {
      await client.close();
    }
  };
  const toolNames = async () => {
    const client = await connectClient(KIND, connection);
    try {
      return await client.listToolNames();
    } finally {
      await client.close();
    }
  };
  /** One call that may be refused: the SDK opens the browser, the client finishes auth(), calls again. */
  const callWithSignIn = async (tool: string, args: Record<string, unknown> = {}) => {
    try {
      return await callOnce(tool, args);
    } catch (error) {
      if (!/unauthorized|insufficient/i.test(String(error))) throw error;
      await provider.finish(KIND, mcp);
      return callOnce(tool, args);
    }
  };

  // Sign in (notes:read), then step up to notes:write the way the existing tools do, and write two notes.
  await callWithSignIn("whoami");
  for (const text of ["first note", "second note"]) {
    const result = await callWithSignIn("notes_add", { text });
    if (result.isError === true) throw new Error(`notes_add failed: ${resultText(result)}`);
  }
  const held = scopeSet(provider.tokens()?.scope);

  // 3. Hidden from a client without notes:admin.
  const listed = await toolNames();
  const hidden = !listed.includes("notes_clear");
  criteria.push({
    name: `notes_clear is hidden from a client holding "${[...held].join(" ")}"`,
    ok: hidden,
    detail: hidden
      ? `tools/list: ${listed.join(" ")}`
      : `tools/list shows notes_clear to a client without notes:admin (${listed.join(" ")}): does the tool declare scope "notes:admin"?`,
  });

  // 4. Called anyway: a 403 whose challenge asks for exactly the one missing scope.
  const accessToken = provider.tokens()?.access_token ?? "";
  const raw = await fetch(mcp, {
    method: "POST",
    headers: {
      authorization: `Bearer ${accessToken}`,
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      "mcp-protocol-version": "2025-06-18",
    },
    body: JSON.stringify({
      jsonrpc: "2.0",
      id: 1,
      method: "tools/call",
      params: { name: "notes_clear", arguments: {} },
    }),
  });
  const rawText = await raw.text();
  let rpcError: string;
  try {
    rpcError = jsonRpcOf(rawText).error?.message ?? "";
  } catch {
    rpcError = rawText.slice(0, 160);
  }
  const header = raw.headers.get("www-authenticate") ?? undefined;
  const params = bearerChallenge(header)?.params ?? {};
  const asked = scopeSet(params["scope"]);
  const missing = [...asked].filter((scope) => !held.has(scope));
  const challenged =
    raw.status === 403 &&
    params["error"] === "insufficient_scope" &&
    missing.length === 1 &&
    missing[0] === "notes:admin";
  criteria.push({
    name: "calling notes_clear without notes:admin is a 403 insufficient_scope naming exactly notes:admin",
    ok: challenged,
    detail: challenged
      ? `403, WWW-Authenticate: ${header ?? ""}`
      : raw.status === 403
        ? `403, but the challenge asks for "${params["scope"] ?? ""}" (beyond what the client holds: "${missing.join(" ")}"), error="${params["error"] ?? ""}": it must add exactly notes:admin`
        : /not found/i.test(rpcError)
          ? `${String(raw.status)} "${rpcError}": the server does not know notes_clear — is it in TOOLS (packages/mcp-core/src/tools/index.ts)?`
          : `${String(raw.status)} instead of 403 (${rpcError || "the tool ran"}): the scope gate answers 403 only for a tool whose scope the caller lacks — does notes_clear declare scope "notes:admin"?`,
  });
  if (!challenged) {
    criteria.push({
      name: "after step-up the client holds notes:admin and notes_clear clears its notes",
      ok: false,
      detail: "not run: there is no notes:admin challenge to step up from yet",
    });
    return criteria;
  }

  // 5. The SDK steps up: the consent page again (no second login), a token with notes:admin.
  ctx.say("calling notes_clear through the SDK: it should step up (consent page again)…");
  const before = provider.authorizations.length;
  let stepUp: string;
  try {
    await callOnce("notes_clear");
    stepUp = "the SDK's first call was not refused";
  } catch (error) {
    stepUp = String(error);
  }
  const refused = /unauthorized|insufficient/i.test(stepUp);
  if (refused) await provider.finish(KIND, mcp);
  const granted = scopeSet(provider.tokens()?.scope);
  const consent = provider.authorizations[before];
  const steppedUp = refused && granted.has("notes:admin") && consent !== undefined;
  criteria.push({
    name: "the SDK v2 client steps up and is granted notes:admin",
    ok: steppedUp,
    detail: steppedUp
      ? `consent page seen ${String(consent.consentPagesSeen)}×, logins ${String(consent.idpLoginsSeen)}; token scope "${[...granted].join(" ")}"`
      : `after the 403 the client holds "${[...granted].join(" ")}" (${stepUp.slice(0, 200)}): the consent page grants only scopes in SCOPES — is notes:admin there, with a description?`,
  });
  if (!steppedUp) return criteria;

  // 6. Granted: listed, and it clears this caller's notebook.
  const after = await toolNames();
  const result = await callOnce("notes_clear");
  const notes = (await callOnce("notes_list")).structuredContent?.["notes"];
  const cleared =
    after.includes("notes_clear") && result.isError !== true && Array.isArray(notes) && notes.length === 0;
  criteria.push({
    name: "with notes:admin, notes_clear is listed and clears the caller's notes",
    ok: cleared,
    detail: cleared
      ? `notes_clear answered ${resultText(result)}; notes_list is empty`
      : `listed: ${after.join(" ")}; notes_clear answered ${result.isError === true ? "an error: " : ""}${resultText(result)}; notes left: ${JSON.stringify(notes)}`,
  });
  return criteria;
}

const exercise: Exercise = {
  id: "02",
  slug: "scopes-step-up",
  title: "Scopes and step-up: a notes_clear tool behind notes:admin",
  minutes: 25, // an estimate, not yet measured with a newcomer (README, "For facilitators")
  files: [
    "packages/mcp-core/src/scopes.ts",
    "packages/mcp-core/src/tools/index.ts",
    "packages/mcp-core/src/tools/notes-clear.ts",
    "packages/mcp-core/test/scopes.test.ts",
    "packages/mcp-core/test/tools.test.ts",
    "packages/mcp-core/src/testing/contract.ts",
    "apps/no-auth/test/no-auth.test.ts",
    "packages/dev-harness/test/check-dev-config.test.ts",
    "apps/token-validation/src/index.ts",
    "apps/token-validation/test/bearer.test.ts",
    "apps/token-validation/e2e/idp.e2e.test.ts",
    "apps/oauth-proxy/README.md",
    "README.md",
  ],
  expectedStartFailure: "notes:admin is missing",
  async check(ctx) {
    return startApp(ctx, async (app) => {
      try {
        return await checkStepUp(ctx, app);
      } catch (error) {
        // Never a stack trace for a learner's mistake: the failure, as one criterion.
        return [
          {
            name: "the SDK v2 client gets through sign-in and notes:write",
            ok: false,
            detail: String(error).slice(0, 600),
          },
        ];
      }
    });
  },
  async solve(ctx) {
    if (await patchIsApplied(ctx.root, PATCH)) return;
    await applyPatch(ctx.root, PATCH);
  },
  async showSolution(ctx) {
    return readFileSync(join(ctx.root, PATCH), "utf8");
  },
};

export default exercise;
