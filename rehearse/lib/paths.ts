// The three migration paths, in the original guides' order. Each is a sequence of numbered steps
// — what the operator runs, what each client sees, the config each user changes — over a local
// stage, ending with the verdicts every rehearsal asserts (run.ts).
import { tenantKey } from "@mcp-auth/identity";
import { DEFAULT_CLIENTS, devAccountClaims, startDevIdp, type DevIdp } from "@mcp-auth/dev-idp";
import { bearerChallenge, freePort, proxyUpstreamVars } from "@mcp-auth/dev-harness";
import { resultText } from "@mcp-auth/mcp-core/testing";
import { configChanges } from "./configs.ts";
import { ANONYMOUS } from "./ledger.ts";
import { KEYS, PROXY_GRANTS, USERS, moveNotes, notebookDigest, operatorCli, type Move } from "./operator.ts";
import { call, oauthCredential, person, rawNotesList, setupOf, type Person } from "./people.ts";
import type { Verdict } from "./record.ts";
import { RehearsalStopped, mintJwt, type Run } from "./rehearsal.ts";
import type { App, AppName } from "./stage.ts";
import { acceptInvite } from "./invite.ts";

export interface MigrationPath {
  from: AppName;
  to: AppName;
  /** One line: why a team takes this path. */
  why: string;
  run(run: Run): Promise<Verdict[]>;
}

/** What to do for a pair no rehearsal covers. */
export function insteadOf(from: string, to: string): string {
  const order: string[] = [...PATHS.map((path) => path.from), "full-oauth-provider"];
  const a = order.indexOf(from);
  const b = order.indexOf(to);
  if (a === -1 || b === -1) return `"${a === -1 ? from : to}" is not one of the apps: ${order.join(", ")}.`;
  if (a === b) return "Both ends are the same app: there is nothing to migrate.";
  if (a > b) {
    return (
      `Going back (${from} → ${to}) is not rehearsed: undo a migration by routing clients back to the old ` +
      `Worker while it still runs, and move notes with the same tool, mapping reversed ` +
      `(npm run notes -- move --from-url … --to-url … --mapping …).`
    );
  }
  const hops = order.slice(a, b + 1);
  return `Rehearse it one hop at a time: ${hops
    .slice(0, -1)
    .map((hop, i) => `rehearse ${hop} ${hops[i + 1] ?? ""}`)
    .join(", then ")}.`;
}

const BOTH = "notes:read notes:write";
/** token-validation's HS256 settings in the rehearsal (never deployed values). */
const HS256 = {
  secret: "rehearse-only-hs256-secret-never-deployed-0123456789",
  issuer: "https://id.rehearsal.example",
  audience: "",
};
const PEPPER = "rehearse-only-password-pepper-never-deployed-0123";
const SESSION_SECRET = "rehearse-only-session-secret-never-deployed-0123";

/** The date the rehearsal announces credentials will be required from (30 days ahead). */
function requiredFrom(): string {
  return new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10);
}

/** A tenant key as the notes CLI takes it (`npm run notes -- tenant` prints the same). */
function tenant(method: Parameters<typeof tenantKey>[0]["method"], issuer: string, subject: string): string {
  return tenantKey({ method, issuer, subject });
}

/** The people who switch, per mode: the SDK v1 client and the v2 client (both eras in a full run). */
function cast(quick: boolean, url: string): Person[] {
  const people = [person("ada", "sdk-v1 (2025)", url), person("bob", "sdk-v2 (2025)", url)];
  if (!quick) people.push(person("cyd", "sdk-v2 (2026-07-28)", url));
  return people;
}

/** A person's config change to `after`, narrated (Claude Desktop, Cursor, VS Code). */
function switchConfig(run: Run, who: Person, serverName: string, change: () => void): void {
  const before = setupOf(who);
  change();
  for (const config of configChanges(who.name, serverName, before, setupOf(who))) run.narrator.config(config);
}

/** Checks a mapping against who exists on each side before anything moves; a clear error otherwise. */
export function checkMapping(
  moves: readonly Move[],
  sources: ReadonlyMap<string, string>,
  targets: ReadonlyMap<string, string>,
): string | undefined {
  const mapped = new Set(moves.map((move) => move.from));
  for (const [key, label] of sources) {
    if (!mapped.has(key)) return `the mapping has no entry for ${label} (${key}): add one, then run the move again`;
  }
  for (const move of moves) {
    if (!sources.has(move.from))
      return `the mapping names an unknown subject ${move.from}: nobody on the old server is called that`;
    if (!targets.has(move.to))
      return `the mapping sends notes to ${move.to}, which is nobody on the new server: create or invite them first`;
  }
  return undefined;
}

/**
 * The operator's mapping step: the mapping is checked against both sides (with the sabotage, one
 * entry is left out and the rehearsal stops there, having proven nothing changed), then a dry
 * run, the move, and a rerun that must add nothing.
 */
async function carryNotes(
  run: Run,
  from: App,
  to: App,
  moves: Move[],
  sources: Map<string, string>,
  targets: Map<string, string>,
): Promise<void> {
  const written = run.options.sabotage === "missing-mapping" ? moves.slice(1) : moves;
  // Every notebook the move would touch, before: a refused mapping must leave them as they are.
  const notebooks = async () =>
    Promise.all(moves.flatMap((move) => [notebookDigest(from, move.from), notebookDigest(to, move.to)]));
  const before = await notebooks();
  const problem = checkMapping(written, sources, targets);
  if (problem !== undefined) {
    run.narrator.say(`mapping.json: ${JSON.stringify({ moves: written })}`);
    const after = await notebooks();
    const unchanged = before.every((notebook, i) => notebook.digest === after[i]?.digest);
    run.toolingCheck(
      "a mapping that names the wrong people is refused before anything moves",
      unchanged,
      `${problem}; the ${String(before.length)} notebooks involved ${unchanged ? "are unchanged (same digests)" : "CHANGED"}`,
    );
    throw new RehearsalStopped(problem);
  }
  run.narrator.say(`mapping.json: ${JSON.stringify({ moves: written })}`);
  const dry = await moveNotes(run.stage, run.narrator, from, to, written, { dryRun: true });
  run.narrator.say(`dry run: ${String(dry.added)} notes would be added`);
  const moved = await moveNotes(run.stage, run.narrator, from, to, written);
  run.narrator.say(
    `moved: ${String(moved.added)} added, ${String(moved.alreadyPresent)} already there, ${String(moved.removed)} removed from the old notebooks`,
  );
  if (run.options.sabotage === "drop-note") {
    // The fault a lossy move would make: one carried note is gone from its new notebook.
    const victim = run.ledger.notes.find((note) =>
      moves.some((move) => move.from.endsWith(encodeURIComponent(note.owner)) || note.owner === ANONYMOUS),
    );
    if (victim !== undefined) await dropNote(run, to, moves, victim.text);
  }
  const again = await moveNotes(run.stage, run.narrator, from, to, written);
  run.toolingCheck(
    "running the same move again adds nothing",
    again.added === 0,
    `${String(again.added)} added, ${String(again.alreadyPresent)} already there`,
  );
}

/** Removes one note from whichever target notebook holds it, through the admin route (sabotage only). */
async function dropNote(run: Run, app: App, moves: readonly Move[], text: string): Promise<void> {
  const { ADMIN_SECRET } = await import("./stage.ts");
  for (const move of moves) {
    const url = `${app.origin}/admin/notes?tenant=${encodeURIComponent(move.to)}`;
    const auth = { authorization: `Bearer ${ADMIN_SECRET[app.name]}` };
    const exported = await (await fetch(url, { headers: auth })).text();
    const lines = exported.split("\n").filter((line) => line.trim() !== "");
    const kept = lines.filter((line) => (JSON.parse(line) as { text: string }).text !== text);
    if (kept.length === lines.length) continue;
    const digest = (await notebookDigest(app, move.to)).digest;
    await fetch(`${url}&digest=${digest}`, { method: "DELETE", headers: auth });
    await fetch(url, {
      method: "POST",
      headers: { ...auth, "content-type": "application/x-ndjson" },
      body: kept.join("\n"),
    });
    run.narrator.say("(sabotage: one carried note was dropped from its new notebook)");
    return;
  }
}

/** no-auth → token-validation: anonymous callers get API keys; the anonymous notes go to whom the operator says. */
const noAuthToTokenValidation: MigrationPath = {
  from: "no-auth",
  to: "token-validation",
  why: "an internal no-auth server goes to partners: every caller needs a key",
  async run(run) {
    const { stage, narrator } = run;
    const noAuth = await stage.start("no-auth", {});
    const people = cast(run.options.quick, `${noAuth.origin}/mcp`);
    // A client nobody updates: it keeps the old config to the end.
    const laggard = person("old-laptop", "sdk-v2 (2026-07-28)", `${noAuth.origin}/mcp`);
    const date = requiredFrom();
    const optional = {
      AUTH_MODE: "optional",
      AUTH_METHODS: "api_key",
      ANONYMOUS_SCOPES: BOTH,
      AUTH_REQUIRED_FROM: date,
      JWT_SECRET: "",
    };
    run.probed.set("no-auth", noAuth);
    const pending = new Map<string, Person["credential"]>();
    const verdicts: Verdict[] = [];

    await run.step("operator", "no-auth runs today: every caller is anonymous and shares one notebook", async () => {
      narrator.say(`no-auth at ${noAuth.origin}/mcp; each client's config is a URL and nothing else`);
    });
    await run.step("client", "each client writes notes, anonymously", async () => {
      for (const who of [...people, laggard]) await run.write(who, run.options.quick ? 1 : 2);
    });

    let tv: App | undefined;
    await run.step("operator", "deploy token-validation beside it, in migration mode", async () => {
      narrator.say(
        `vars: AUTH_MODE="optional" (no credential → anonymous), ANONYMOUS_SCOPES="${BOTH}" (what no-auth allowed), ` +
          `AUTH_REQUIRED_FROM="${date}" (announced to anonymous callers), AUTH_METHODS="api_key"`,
      );
      narrator.command(
        "npx -y pnpm@10.34.9 --filter @mcp-auth/token-validation exec wrangler d1 migrations apply KEYS_DB --remote",
      );
      narrator.command("npx -y pnpm@10.34.9 --filter @mcp-auth/token-validation run deploy");
      tv = await stage.start("token-validation", optional);
      narrator.say(`token-validation at ${tv.origin}/mcp (staging address)`);
      run.probed.set("token-validation", tv);
    });
    if (tv === undefined) throw new Error("unreachable");

    await run.step(
      "operator",
      "carry the anonymous notebook over, then put token-validation in no-auth's place",
      async () => {
        const anonymous = tenant("anonymous", "self", "anonymous");
        await carryNotes(
          run,
          noAuth,
          tv as App,
          [{ from: anonymous, to: anonymous }],
          new Map([[anonymous, "the anonymous notebook"]]),
          new Map([[anonymous, "the anonymous notebook"]]),
        );
        narrator.say(
          "In production, point the route at the new Worker and run the same move once more: it carries a note written in between and adds no duplicate.",
        );
        await stage.stop(noAuth);
        run.probed.delete("no-auth");
        tv = await stage.restart(tv as App, optional, noAuth.port);
        run.probed.set("token-validation", tv);
        narrator.say(`token-validation now answers at ${tv.origin}/mcp, the address every client has`);
      },
    );

    await run.step(
      "client",
      "old clients, config unchanged, keep working and are told a credential will be required",
      async () => {
        const page = await (await fetch(`${(tv as App).origin}/`)).text();
        run.expectTold(
          "anyone opening the / page",
          `the page names ${date}`,
          page.includes(date),
          page.includes(date) ? `the migration-mode line names ${date}` : "no date on the page",
        );
        for (const who of [...people, laggard]) {
          const seen = await call(who, "notes_list");
          const blocks = Array.isArray(seen.result.content) ? (seen.result.content as { text?: string }[]) : [];
          const hint = blocks.length > 1 ? (blocks.at(-1)?.text ?? "") : "";
          if (who === laggard) narrator.say(`the line after each tool result: "${hint}"`);
          const deprecation = seen.headers.get("deprecation");
          const sunset = seen.headers.get("sunset");
          run.expectTold(
            who.name,
            `a notes_list result plus Deprecation/Sunset headers and a hint naming ${date}`,
            seen.result.isError !== true && deprecation !== null && sunset !== null && hint.includes(date),
            `${seen.result.isError === true ? "an error" : "its notes"}; Deprecation: ${deprecation ?? "(none)"}; Sunset: ${sunset ?? "(none)"}; hint ${hint.includes(date) ? "names the date" : "missing"}`,
          );
        }
      },
    );

    await run.step("operator", "issue an API key to each person who will switch", async () => {
      for (const who of people) {
        const created = (await operatorCli(narrator, tv as App, KEYS, [
          "create",
          "--owner",
          who.name,
          "--scopes",
          BOTH,
        ])) as Record<string, unknown>;
        // Handed to the person now; their client config changes in the next steps.
        pending.set(who.name, {
          kind: "header",
          authorization: `Bearer ${String(created["key"])}`,
          shown: `Bearer <${who.name}'s key>`,
        });
        narrator.say(`${who.name}: ${String(created["id"])} (the key itself is shown once, to ${who.name} only)`);
      }
    });

    for (const who of people) {
      await run.step("client", `${who.name} adds the key to their client`, async () => {
        const credential = pending.get(who.name);
        if (credential === undefined) throw new Error("unreachable");
        switchConfig(run, who, "notes", () => (who.credential = credential));
        await run.write(who, 1);
        const me = await call(who, "whoami");
        narrator.say(`whoami: ${resultText(me.result).replaceAll("\n", " ").slice(0, 160)}`);
      });
    }

    await run.step("operator", 'flip to AUTH_MODE="required"', async () => {
      // Sabotage: the operator forgets the flip and the server stays in migration mode.
      const required =
        run.options.sabotage === "leave-optional"
          ? optional
          : { ...optional, AUTH_MODE: "required", AUTH_REQUIRED_FROM: "" };
      narrator.say('vars: AUTH_MODE="required", AUTH_REQUIRED_FROM="" (it applies to migration mode only)');
      narrator.command("npx -y pnpm@10.34.9 --filter @mcp-auth/token-validation run deploy");
      tv = await stage.restart(tv as App, required);
      run.probed.set("token-validation", tv);
      const flippedAt = performance.now();
      // The old credential here is none at all: refused from the first request after the redeploy.
      await run.expectRefused("a request without a credential after the flip", flippedAt, 2_000, () =>
        rawNotesList(tv?.origin ?? "", { "cf-connecting-ip": laggard.address }),
      );
    });

    await run.step("operator", "give the anonymous notebook to the person the team chose (ada)", async () => {
      const heir = people[0];
      if (heir === undefined) throw new Error("unreachable");
      const anonymous = tenant("anonymous", "self", "anonymous");
      const heirs = tenant("api_key", "self", heir.name);
      narrator.say(
        `The operator decides: ${heir.name} inherits the notes written anonymously. Nothing moves without this decision.`,
      );
      const owners = (await operatorCli(narrator, tv as App, KEYS, ["list"])) as { owner?: string }[];
      const targets = new Map(
        (Array.isArray(owners) ? owners : []).map((key) => [
          tenant("api_key", "self", String(key.owner)),
          `key owner ${String(key.owner)}`,
        ]),
      );
      await carryNotes(
        run,
        tv as App,
        tv as App,
        [{ from: anonymous, to: heirs }],
        new Map([[anonymous, "the anonymous notebook"]]),
        targets,
      );
      run.ledger.reassign(ANONYMOUS, heir.name);
    });

    await run.step("client", "a client nobody updated is refused with a challenge it can act on", async () => {
      const answer = await rawNotesList(tv?.origin ?? "", { "cf-connecting-ip": laggard.address });
      // An API-key server names no authorization server (no resource_metadata: an OAuth flow
      // would lead nowhere); the challenge says Bearer and the message says what to send.
      run.expectTold(
        laggard.name,
        "401 with a Bearer challenge and a message saying what to send",
        answer.status === 401 && bearerChallenge(answer.challenge) !== undefined && (answer.description ?? "") !== "",
        `${answer.summary}; WWW-Authenticate: ${answer.challenge ?? "(none)"}`,
      );
    });

    const stranger = person("eve", "sdk-v2 (2025)", `${tv.origin}/mcp`);
    await run.step("check", "everyone reads their notebook; a new key holder reads nothing of theirs", async () => {
      const created = (await operatorCli(narrator, tv as App, KEYS, [
        "create",
        "--owner",
        "eve",
        "--scopes",
        BOTH,
      ])) as Record<string, unknown>;
      stranger.credential = {
        kind: "header",
        authorization: `Bearer ${String(created["key"])}`,
        shown: "Bearer <eve's key>",
      };
      verdicts.push(await run.finalCheck(people, stranger));
    });
    return [
      ...verdicts,
      run.probeVerdict((server, step) => server === "no-auth" || step < flipStep(run)),
      run.toldVerdict(),
      run.revocationVerdict(),
      run.toolingVerdict(),
    ];
  },
};

/** The step at which the flip to required happened (the probe may get in before it, as no-auth allowed). */
function flipStep(run: Run): number {
  const step = run.narrator.record.steps.find((entry) => entry.title.startsWith("flip to"));
  return step?.n ?? Number.POSITIVE_INFINITY;
}

/**
 * Runs `body` with dev-idp as the organisation's identity provider, its redirect registered for an
 * oauth-proxy at a free port (both paths with oauth-proxy in them), and stops it afterwards.
 */
async function withUpstream<T>(body: (idp: DevIdp, proxyPort: number, proxyOrigin: string) => Promise<T>): Promise<T> {
  const proxyPort = await freePort();
  const proxyOrigin = `http://localhost:${String(proxyPort)}`;
  const idp = await startDevIdp({
    port: 0,
    proxyRedirectUris: [`${proxyOrigin}/callback`],
    clients: [...DEFAULT_CLIENTS],
    rotateRefreshTokens: true,
  });
  try {
    return await body(idp, proxyPort, proxyOrigin);
  } finally {
    await idp.stop();
  }
}

/** token-validation → oauth-proxy: keys and JWTs give way to people signing in at the company's IdP. */
const tokenValidationToOAuthProxy: MigrationPath = {
  from: "token-validation",
  to: "oauth-proxy",
  why: "an API-key server has to serve people who sign in with the company's identity provider",
  run: (run) => withUpstream((idp, port, origin) => tvToProxy(run, run.stage, run.narrator, idp, port, origin)),
};

async function tvToProxy(
  run: Run,
  stage: Run["stage"],
  narrator: Run["narrator"],
  idp: DevIdp,
  proxyPort: number,
  proxyOrigin: string,
): Promise<Verdict[]> {
  const found: Verdict[] = [];
  const tvVars = { AUTH_METHODS: "api_key,jwt", JWT_SECRET: HS256.secret, JWT_ISSUER: HS256.issuer, JWT_AUDIENCE: "" };
  let tv = await stage.start("token-validation", { ...tvVars, JWT_AUDIENCE: "https://tv.rehearsal.example/mcp" });
  const jwtSettings = { ...HS256, audience: "https://tv.rehearsal.example/mcp" };
  const tvAudience = jwtSettings.audience;
  run.probed.set("token-validation", tv);
  const [ada, bob, cyd] = [
    person("ada", "sdk-v1 (2025)", `${tv.origin}/mcp`),
    person("bob", "sdk-v2 (2025)", `${tv.origin}/mcp`),
    person("cyd", "sdk-v2 (2026-07-28)", `${tv.origin}/mcp`),
  ];
  // cyd's identity system mints JWTs (sub=cyd); ada and bob have API keys.
  const keyPeople = [ada, bob];
  // Three people in every mode: two key holders (one switches at the cut-over, one after a grace
  // period) and one JWT subject.
  const people = [ada, bob, cyd];
  const keyIds = new Map<string, string>();

  await run.step(
    "operator",
    "token-validation runs today: API keys (and JWTs from the team's own issuer)",
    async () => {
      for (const who of keyPeople) {
        const created = (await operatorCli(narrator, tv, KEYS, [
          "create",
          "--owner",
          who.name,
          "--scopes",
          BOTH,
        ])) as Record<string, unknown>;
        keyIds.set(who.name, String(created["id"]));
        who.credential = {
          kind: "header",
          authorization: `Bearer ${String(created["key"])}`,
          shown: `Bearer <${who.name}'s key>`,
        };
      }
      cyd.credential = {
        kind: "header",
        authorization: `Bearer ${await mintJwt(jwtSettings, "cyd")}`,
        shown: "Bearer <cyd's JWT>",
      };
      narrator.say(`cyd presents JWTs (iss ${HS256.issuer}, sub cyd)`);
    },
  );
  await run.step("client", "each client writes notes with its credential", async () => {
    for (const who of people) await run.write(who, run.options.quick ? 1 : 2);
  });

  let proxy: App | undefined;
  await run.step(
    "operator",
    "deploy oauth-proxy beside it, with the company's IdP (dev-idp here) upstream",
    async () => {
      narrator.say(
        `vars: PUBLIC_ORIGIN="${proxyOrigin}", UPSTREAM="oidc", UPSTREAM_ISSUER="${idp.issuer}"; callback ${proxyOrigin}/callback registered at the IdP`,
      );
      narrator.command("npx -y pnpm@10.34.9 --filter @mcp-auth/oauth-proxy run deploy");
      proxy = await stage.start("oauth-proxy", proxyUpstreamVars(proxyOrigin, idp), proxyPort);
      run.probed.set("oauth-proxy", proxy);
    },
  );
  if (proxy === undefined) throw new Error("unreachable");
  const newTenant = (login: string) => tenant("oauth", idp.issuer, login);

  const movesFor = (who: readonly Person[]) =>
    who.map((entry) => ({
      from: entry === cyd ? tenant("jwt", HS256.issuer, "cyd") : tenant("api_key", "self", entry.name),
      to: newTenant(entry.name),
    }));
  const sources = async () => {
    const keys = (await operatorCli(narrator, tv, KEYS, ["list"])) as { owner?: string; revoked?: unknown }[];
    const map = new Map<string, string>();
    for (const key of Array.isArray(keys) ? keys : [])
      map.set(tenant("api_key", "self", String(key.owner)), `key owner ${String(key.owner)}`);
    map.set(tenant("jwt", HS256.issuer, "cyd"), "JWT subject cyd");
    return map;
  };
  const targets = new Map(people.map((who) => [newTenant(who.name), `${who.name} at the IdP`]));

  await run.step(
    "operator",
    "cut-over: map each key owner and JWT subject to their IdP account and carry their notes",
    async () => {
      narrator.say(
        "The mapping is the operator's: who each key owner and JWT subject is at the IdP (here the same names).",
      );
      await carryNotes(run, tv, proxy as App, movesFor(people), await sources(), targets);
    },
  );

  const cutover = people.filter((who) => who !== bob);
  await run.step("operator", "revoke the keys of those who switch now; stop accepting JWTs", async () => {
    for (const who of cutover) {
      const id = keyIds.get(who.name);
      if (id !== undefined) {
        await operatorCli(narrator, tv, KEYS, ["revoke", id]);
      }
    }
    narrator.say(`bob keeps his key for a grace period: his client is updated later.`);
    narrator.say('vars: AUTH_METHODS="api_key" (JWTs from the old issuer are no longer accepted)');
    narrator.command("npx -y pnpm@10.34.9 --filter @mcp-auth/token-validation run deploy");
    tv = await stage.restart(tv, { ...tvVars, AUTH_METHODS: "api_key", JWT_AUDIENCE: tvAudience });
    run.probed.set("token-validation", tv);
    const revokedAt = performance.now();
    for (const who of cutover) {
      const credential = who.credential;
      if (credential.kind !== "header") continue;
      const answer = await run.expectRefused(
        `${who.name}'s old ${who === cyd ? "JWT" : "key"} at token-validation`,
        revokedAt,
        2_000,
        () => rawNotesList(tv.origin, { authorization: credential.authorization, "cf-connecting-ip": who.address }),
      );
      run.expectTold(
        who.name,
        "401 invalid_token with the reason",
        answer.status === 401 && answer.error === "invalid_token" && (answer.description ?? "") !== "",
        answer.summary,
      );
    }
  });

  await run.step(
    "client",
    "an old key sent to the new server gets a challenge that starts the OAuth flow",
    async () => {
      const credential = ada.credential;
      if (credential.kind !== "header") throw new Error("unreachable");
      const answer = await rawNotesList((proxy as App).origin, {
        authorization: credential.authorization,
        "cf-connecting-ip": ada.address,
      });
      const metadataUrl = answer.resourceMetadata;
      let authorizationEndpoint: string | undefined;
      if (metadataUrl !== undefined) {
        const prm = (await (await fetch(metadataUrl)).json()) as { authorization_servers?: string[] };
        const issuer = prm.authorization_servers?.[0];
        if (issuer !== undefined) {
          const as = (await (await fetch(new URL("/.well-known/oauth-authorization-server", issuer))).json()) as {
            authorization_endpoint?: string;
          };
          authorizationEndpoint = as.authorization_endpoint;
        }
      }
      run.expectTold(
        "ada (old key, new URL)",
        "401 invalid_token whose resource_metadata leads to an authorization endpoint",
        answer.status === 401 && answer.error === "invalid_token" && authorizationEndpoint !== undefined,
        `${answer.summary}; resource_metadata → ${authorizationEndpoint ?? "(no authorization endpoint)"}`,
      );
    },
  );

  for (const who of cutover) {
    await run.step("client", `${who.name} points their client at oauth-proxy and signs in at the IdP`, async () => {
      switchConfig(run, who, "notes", () => {
        who.url = `${(proxy as App).origin}/mcp`;
        who.credential = oauthCredential(who, who.name);
      });
      await run.write(who, 1);
    });
  }

  await run.step("client", "grace period: bob still uses his key at token-validation", async () => {
    await run.write(bob, 1);
  });

  await run.step("operator", "end of the grace period: carry bob's new notes, then revoke his key", async () => {
    const moved = await moveNotes(stage, narrator, tv, proxy as App, movesFor(people));
    run.toolingCheck(
      "the move run again after the grace period carries only what is new",
      moved.added === 1,
      `${String(moved.added)} added (bob's note from the grace period), ${String(moved.alreadyPresent)} already there`,
    );
    const id = keyIds.get("bob");
    if (id === undefined) throw new Error("unreachable");
    await operatorCli(narrator, tv, KEYS, ["revoke", id]);
    const revokedAt = performance.now();
    const credential = bob.credential;
    if (credential.kind !== "header") throw new Error("unreachable");
    const answer = await run.expectRefused("bob's key after the grace period", revokedAt, 2_000, () =>
      rawNotesList(tv.origin, { authorization: credential.authorization, "cf-connecting-ip": bob.address }),
    );
    run.expectTold(
      "bob",
      "401 invalid_token with the reason",
      answer.status === 401 && answer.error === "invalid_token",
      answer.summary,
    );
  });

  await run.step("client", "bob points his client at oauth-proxy and signs in", async () => {
    switchConfig(run, bob, "notes", () => {
      bob.url = `${(proxy as App).origin}/mcp`;
      bob.credential = oauthCredential(bob, bob.name);
    });
    const me = await call(bob, "whoami");
    narrator.say(`whoami: ${resultText(me.result).replaceAll("\n", " ").slice(0, 160)}`);
  });

  const stranger = person("eve", "sdk-v2 (2025)", `${proxy.origin}/mcp`);
  stranger.credential = oauthCredential(stranger, "eve");
  await run.step("check", "everyone reads their notebook at oauth-proxy; a new person reads nothing", async () => {
    found.push(await run.finalCheck(people, stranger));
  });
  return [...found, run.probeVerdict(() => false), run.toldVerdict(), run.revocationVerdict(), run.toolingVerdict()];
}

/** oauth-proxy → full-oauth-provider: the organisation becomes its own identity provider. */
const oauthProxyToFullOAuthProvider: MigrationPath = {
  from: "oauth-proxy",
  to: "full-oauth-provider",
  why: "the organisation becomes its own identity provider",
  run: (run) => withUpstream((idp, port, origin) => proxyToFop(run, idp, port, origin)),
};

async function proxyToFop(run: Run, idp: DevIdp, proxyPort: number, proxyOrigin: string): Promise<Verdict[]> {
  const { stage, narrator } = run;
  const found: Verdict[] = [];
  const proxy = await stage.start("oauth-proxy", proxyUpstreamVars(proxyOrigin, idp), proxyPort);
  run.probed.set("oauth-proxy", proxy);
  const people = cast(run.options.quick, `${proxy.origin}/mcp`);
  for (const who of people) who.credential = oauthCredential(who, who.name);

  await run.step("operator", "oauth-proxy runs today: people sign in at the company's IdP", async () => {
    narrator.say(`oauth-proxy at ${proxy.origin}/mcp, upstream ${idp.issuer}`);
  });
  await run.step("client", "each person signs in through their client and writes notes", async () => {
    for (const who of people) await run.write(who, run.options.quick ? 1 : 2);
  });

  const fopPort = await freePort();
  const fopOrigin = `http://localhost:${String(fopPort)}`;
  let fop: App | undefined;
  await run.step("operator", "deploy full-oauth-provider beside it", async () => {
    narrator.command(
      "npx -y pnpm@10.34.9 --filter @mcp-auth/full-oauth-provider exec wrangler d1 migrations apply DB --remote",
    );
    narrator.command("npx -y pnpm@10.34.9 --filter @mcp-auth/full-oauth-provider run deploy");
    fop = await stage.start(
      "full-oauth-provider",
      {
        PUBLIC_ORIGIN: fopOrigin,
        PASSWORD_PEPPER: PEPPER,
        PASSWORD_PEPPER_PREVIOUS: "",
        SESSION_SECRET,
        ALLOW_INSECURE_HTTP_LOOPBACK: "true",
      },
      fopPort,
    );
    run.probed.set("full-oauth-provider", fop);
  });
  if (fop === undefined) throw new Error("unreachable");
  const env = { PASSWORD_PEPPER: PEPPER };

  const invites = new Map<string, { link: string; userId: string; email: string }>();
  await run.step("operator", "invite each upstream user as a local user", async () => {
    const grants = grantsOf(await operatorCli(narrator, proxy, PROXY_GRANTS, ["list"]));
    narrator.say(
      `oauth-proxy has ${String(grants.length)} grants, of ${[...new Set(grants.map((grant) => String(grant["subject"])))].join(", ")}`,
    );
    for (const who of people) {
      const claims = devAccountClaims(who.name);
      const invited = (await operatorCli(
        narrator,
        fop as App,
        USERS,
        ["invite", "--email", claims.email, "--name", claims.name, "--origin", fopOrigin],
        env,
      )) as Record<string, unknown>;
      // users invite --json: {"user": {"id", …}, "link", "expiresAt", "reissued"}.
      const { user, link } = invited as { user: { id: string }; link: string };
      const userId = user.id;
      invites.set(who.name, { link, userId, email: claims.email });
      narrator.say(
        `${who.name}: ${userId}, invitation link sent to ${claims.email} (not shown: it is a one-time credential)`,
      );
    }
  });

  await run.step("client", "each person opens their invitation and sets a password", async () => {
    for (const who of people) {
      const invite = invites.get(who.name);
      if (invite === undefined) throw new Error("unreachable");
      await acceptInvite(invite.link, passwordOf(who), who.address);
      narrator.say(`${who.name} set a password at ${fopOrigin}/invite`);
    }
  });

  await run.step("operator", "carry each person's notes to their new account", async () => {
    const sources = new Map<string, string>();
    for (const grant of grantsOf(await operatorCli(narrator, proxy, PROXY_GRANTS, ["list"]))) {
      const subject = typeof grant["subject"] === "string" ? grant["subject"] : "";
      sources.set(tenant("oauth", idp.issuer, subject), `upstream user ${subject}`);
    }
    const users = (await operatorCli(narrator, fop as App, USERS, ["list"], env)) as { id?: string; email?: string }[];
    const targets = new Map(
      (Array.isArray(users) ? users : []).map((user) => [
        tenant("oauth", fopOrigin, String(user.id)),
        String(user.email),
      ]),
    );
    const moves = people.map((who) => ({
      from: tenant("oauth", idp.issuer, who.name),
      to: tenant("oauth", fopOrigin, invites.get(who.name)?.userId ?? ""),
    }));
    await carryNotes(run, proxy, fop as App, moves, sources, targets);
  });

  const old = people.map((who) => ({
    who,
    tokens: who.credential.kind === "oauth" ? who.credential.provider.tokens() : undefined,
    provider: who.credential.kind === "oauth" ? who.credential.provider : undefined,
  }));
  await run.step("operator", "cut-over: revoke every oauth-proxy grant", async () => {
    await operatorCli(narrator, proxy, PROXY_GRANTS, ["revoke-all", "--yes"]);
    const revokedAt = performance.now();
    const tokenEndpoint = (
      (await (await fetch(`${proxy.origin}/.well-known/oauth-authorization-server`)).json()) as {
        token_endpoint: string;
      }
    ).token_endpoint;
    for (const { who, tokens, provider } of old) {
      const access = tokens?.access_token ?? "";
      const answer = await run.expectRefused(`${who.name}'s oauth-proxy access token`, revokedAt, 2_000, () =>
        rawNotesList(proxy.origin, { authorization: `Bearer ${access}`, "cf-connecting-ip": who.address }),
      );
      run.expectTold(
        who.name,
        "401 invalid_token",
        answer.status === 401 && answer.error === "invalid_token",
        answer.summary,
      );
      const refresh = await fetch(tokenEndpoint, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", "cf-connecting-ip": who.address },
        body: new URLSearchParams({
          grant_type: "refresh_token",
          refresh_token: tokens?.refresh_token ?? "",
          client_id: provider?.clientInformation()?.client_id ?? "",
        }),
      });
      const body = (await refresh.json()) as { error?: string; error_description?: string };
      run.expectTold(
        `${who.name} (refresh)`,
        "400 invalid_grant with a description",
        refresh.status === 400 && body.error === "invalid_grant" && (body.error_description ?? "") !== "",
        `${String(refresh.status)} ${body.error ?? ""}: ${body.error_description ?? "(no description)"}`,
      );
    }
  });

  for (const who of people) {
    await run.step("client", `${who.name} points their client at full-oauth-provider and signs in once`, async () => {
      switchConfig(run, who, "notes", () => {
        who.url = `${(fop as App).origin}/mcp`;
        who.credential = oauthCredential(who, invites.get(who.name)?.email ?? "", passwordOf(who));
      });
      await run.write(who, 1);
    });
  }

  await run.step("operator", "read the audit log of the cut-over", async () => {
    const rows = (await operatorCli(narrator, fop as App, USERS, ["audit", "--limit", "50"], env)) as {
      event?: string;
      outcome?: string;
    }[];
    const events = (Array.isArray(rows) ? rows : []).map((row) => `${String(row.event)}:${String(row.outcome)}`);
    narrator.say(`audit rows: ${events.join(", ")}`);
    const counts = ["user_invited", "invite_accepted"].map(
      (event) => events.filter((entry) => entry.startsWith(`${event}:`)).length,
    );
    run.toolingCheck(
      "the audit log shows every invitation and its acceptance",
      counts.every((count) => count === people.length),
      `user_invited ×${String(counts[0])}, invite_accepted ×${String(counts[1])} for ${String(people.length)} people`,
    );
  });

  const stranger = person("eve", "sdk-v2 (2025)", `${fop.origin}/mcp`);
  await run.step(
    "check",
    "everyone reads their notebook at full-oauth-provider; a new user reads nothing",
    async () => {
      const eve = devAccountClaims("eve");
      const added = (await operatorCli(
        narrator,
        fop as App,
        USERS,
        ["add", "--email", eve.email, "--name", eve.name],
        env,
      )) as Record<string, unknown>;
      stranger.credential = oauthCredential(stranger, eve.email, String(added["password"]));
      found.push(await run.finalCheck(people, stranger));
    },
  );
  return [...found, run.probeVerdict(() => false), run.toldVerdict(), run.revocationVerdict(), run.toolingVerdict()];
}

/** The grants of `proxy-grants list --json` ({"grants": […]}). */
function grantsOf(output: unknown): Record<string, unknown>[] {
  const grants = (output as { grants?: unknown }).grants;
  return Array.isArray(grants) ? (grants as Record<string, unknown>[]) : [];
}

/** The password each person sets on their invitation (rehearsal-only). */
function passwordOf(who: Person): string {
  return `rehearsal-password-${who.name}-0123456789`;
}

export const PATHS: readonly MigrationPath[] = [
  noAuthToTokenValidation,
  tokenValidationToOAuthProxy,
  oauthProxyToFullOAuthProvider,
];

export function findPath(from: string, to: string): MigrationPath | undefined {
  return PATHS.find((path) => path.from === from && path.to === to);
}

export { RehearsalStopped };
