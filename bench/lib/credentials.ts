// How a benchmark target's requests get their credential: one JWT minted for the run, or a pool
// of API keys made with the app's own CLI in the server's state (an OAuth flow: lib/oauth.ts).
import { runToCompletion, wranglerEnv } from "@mcp-auth/dev-harness";
import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { Knobs } from "./knobs.ts";

/** What a credential may need to know about the run and the server it is used against. */
export interface CredentialContext {
  /** Absolute app directory. */
  dir: string;
  /** The origin the target's requests go to (its public origin, when it has one). */
  origin: string;
  /** The server's `--persist-to` directory. */
  stateDir: string;
  knobs: Knobs;
  /** How many targets take turns in a round (for rate budgets). */
  targetCount: number;
  /** Whether the run was interrupted. */
  stopped: () => boolean;
}

/** A credential for one target, for one run. */
export interface Credential {
  /** Called once the target's server answers: mint a token, make keys, run an OAuth flow. */
  ready(context: CredentialContext): Promise<void>;
  /** The `Authorization` header of the next request. */
  authorization: () => string;
  /** After the warm-up, at its measured rate: adjust (more keys); returns a line to print, if any. */
  afterWarmup?(rps: number): Promise<string | undefined>;
  /** A line for the report. */
  report?(): string;
}

/** The part of jose's `SignJWT` used here. jose is the app's dependency, not bench's: it is loaded from there. */
interface SignJwtBuilder {
  setProtectedHeader(header: { alg: string; typ?: string }): SignJwtBuilder;
  setIssuer(issuer: string): SignJwtBuilder;
  setAudience(audience: string): SignJwtBuilder;
  setSubject(subject: string): SignJwtBuilder;
  setIssuedAt(): SignJwtBuilder;
  setExpirationTime(time: string): SignJwtBuilder;
  sign(key: Uint8Array): Promise<string>;
}

/**
 * One HS256 access token (`scope: "notes:read notes:write"`, valid for an hour) for the given
 * secret, issuer and audience, signed with the app's own jose; every request carries it.
 */
export function hs256Jwt(settings: { secret: string; issuer: string; audience: string }): () => Credential {
  return () => {
    let header = "";
    return {
      async ready(context) {
        const jose = pathToFileURL(createRequire(join(context.dir, "package.json")).resolve("jose")).href;
        const { SignJWT } = (await import(jose)) as {
          SignJWT: new (claims: Record<string, unknown>) => SignJwtBuilder;
        };
        const token = await new SignJWT({ scope: "notes:read notes:write", client_id: "bench" })
          .setProtectedHeader({ alg: "HS256", typ: "at+jwt" })
          .setIssuer(settings.issuer)
          .setAudience(settings.audience)
          .setSubject("bench")
          .setIssuedAt()
          .setExpirationTime("1h")
          .sign(new TextEncoder().encode(settings.secret));
        header = `Bearer ${token}`;
      },
      authorization: () => header,
    };
  };
}

/**
 * A pool of API keys made with the app's key CLI (`<cli> create --owner bench --json
 * --persist-to <state>`), one key per request in turn. The app limits each key to
 * `perKeyLimitPerMinute` (wrangler dev counts in windows aligned to the wall-clock minute), so
 * after the warm-up the pool grows until, at the warm-up rate, no key would pass half of that in
 * any minute. The busiest key's count in one window is reported, to show the pool stayed clear.
 */
export function apiKeyPool(settings: { cli: string; perKeyLimitPerMinute: number }): () => Credential {
  return () => {
    const keys: string[] = [];
    const perWindow = new Map<string, number>();
    let next = 0;
    let context: CredentialContext | undefined;
    const budget = settings.perKeyLimitPerMinute / 2;

    /** One key; one at a time (concurrent writers to the local D1 file fail with SQLITE_BUSY). */
    async function createKey(ctx: CredentialContext): Promise<void> {
      const args = [join(ctx.dir, settings.cli), "create", "--owner", "bench", "--json", "--persist-to", ctx.stateDir];
      const result = await runToCompletion(process.execPath, args, { cwd: ctx.dir, env: wranglerEnv() });
      if (result.code !== 0)
        throw new Error(`${settings.cli} create failed (code ${String(result.code)}).\n${result.tail}`);
      let created: unknown;
      try {
        created = JSON.parse(result.stdout);
      } catch {
        created = undefined;
      }
      if (typeof created === "object" && created !== null && "key" in created && typeof created.key === "string") {
        keys.push(created.key);
        return;
      }
      throw new Error(`${settings.cli} create printed no key:\n${result.tail}`);
    }

    return {
      async ready(ctx) {
        context = ctx;
        while (keys.length < ctx.knobs.apiKeys && !ctx.stopped()) await createKey(ctx);
      },
      authorization: () => {
        const index = next++ % keys.length;
        const window = `${index}@${Math.floor(Date.now() / 60_000)}`;
        perWindow.set(window, (perWindow.get(window) ?? 0) + 1);
        return `Bearer ${keys[index] ?? ""}`;
      },
      async afterWarmup(rps) {
        if (context === undefined) return undefined;
        const { knobs, targetCount } = context;
        // In any 60 s window this target runs for at most its warm-up plus one slot per round
        // that fits in the window, plus one.
        const activeSeconds = Math.min(
          60,
          knobs.warmupSeconds + knobs.seconds * (Math.floor(60 / (targetCount * knobs.seconds)) + 1),
        );
        const needed = Math.ceil((rps * activeSeconds) / budget);
        if (needed <= keys.length) return undefined;
        const before = keys.length;
        while (keys.length < needed && !context.stopped()) await createKey(context);
        return `made ${keys.length - before} more API keys so each stays under ${budget}/min`;
      },
      report: () =>
        `${keys.length} keys in rotation, busiest key ${Math.max(0, ...perWindow.values())} requests in one minute window (limit ${settings.perKeyLimitPerMinute})`,
    };
  };
}
