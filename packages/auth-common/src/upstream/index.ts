import { commonSettings } from "./config.ts";
import { githubClient } from "./github.ts";
import { oidcClient } from "./oidc.ts";
import { entraPreset, genericOidcPreset, googlePreset } from "./presets.ts";
import type { UpstreamClient, UpstreamConfig } from "./types.ts";

export { DEFAULT_UPSTREAM_TIMEOUT_SECONDS } from "./config.ts";
export { UpstreamError, type UpstreamErrorCode, type UpstreamErrorDetail } from "./errors.ts";
export { MAX_UPSTREAM_RESPONSE_BYTES } from "./transport.ts";
export type {
  UpstreamClient,
  UpstreamConfig,
  UpstreamKind,
  UpstreamPending,
  UpstreamStart,
  UpstreamTokens,
  UpstreamUser,
} from "./types.ts";

/**
 * A client for one upstream identity provider (oauth-proxy's sign-in), built on oauth4webapi.
 * Build it once per isolate and reuse it: discovery and JWKS are cached per instance.
 *
 * Validates at construction (a `TypeError` naming the field, never its value): the preset's
 * required fields, https URLs (plain http only for a loopback host with `allowInsecureLoopback`),
 * Entra tenants (multi-tenant needs `entraAllowedTenants`), scope syntax, the timeout.
 * Every upstream call then has a timeout (`timeoutSeconds`, default 10), no redirects followed,
 * a body capped at {@link MAX_UPSTREAM_RESPONSE_BYTES}; every failure is an {@link UpstreamError}
 * whose `code` tells the app what to do and whose `reason` holds no token, code or secret.
 * See `oidcClient` and `githubClient` for what each flow validates and what it does not.
 */
export function upstreamClient(config: UpstreamConfig): UpstreamClient {
  const settings = commonSettings(config);
  switch (config.kind) {
    case "oidc":
      return oidcClient(genericOidcPreset(config), settings);
    case "google":
      return oidcClient(googlePreset(config), settings);
    case "entra":
      return oidcClient(entraPreset(config), settings);
    case "github":
      return githubClient(config, settings);
    default:
      throw new TypeError("Upstream config: kind must be oidc, google, entra or github");
  }
}
