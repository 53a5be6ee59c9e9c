import { ConfigError } from "@mcp-auth/auth-common";
import { upstreamClient, type UpstreamClient, type UpstreamConfig } from "@mcp-auth/auth-common/upstream";
import type { Config } from "./config.ts";

/** The upstream client's configuration from ours: the preset and only the fields it uses. */
export function upstreamConfig(config: Config): UpstreamConfig {
  return {
    kind: config.UPSTREAM,
    clientId: config.UPSTREAM_CLIENT_ID,
    clientSecret: config.UPSTREAM_CLIENT_SECRET,
    ...(config.UPSTREAM_ISSUER === undefined ? {} : { issuer: config.UPSTREAM_ISSUER }),
    ...(config.GOOGLE_HOSTED_DOMAIN === undefined ? {} : { googleHostedDomain: config.GOOGLE_HOSTED_DOMAIN }),
    ...(config.ENTRA_TENANT === undefined ? {} : { entraTenant: config.ENTRA_TENANT }),
    ...(config.UPSTREAM === "entra" ? { entraAllowedTenants: config.ENTRA_ALLOWED_TENANTS } : {}),
    ...(config.GITHUB_BASE_URL === undefined ? {} : { githubBaseUrl: config.GITHUB_BASE_URL }),
    ...(config.GITHUB_API_URL === undefined ? {} : { githubApiUrl: config.GITHUB_API_URL }),
    allowInsecureLoopback: config.ALLOW_INSECURE_HTTP_LOOPBACK,
  };
}

/**
 * The upstream client for this configuration. A preset that refuses its settings (a field it
 * does not take, an unsafe URL) is a configuration error like any other: the app refuses to
 * serve and names the field, never its value.
 */
export function buildUpstream(config: Config): UpstreamClient {
  try {
    return upstreamClient(upstreamConfig(config));
  } catch (error) {
    if (error instanceof TypeError) throw new ConfigError(`Invalid configuration — ${error.message}`);
    throw error;
  }
}
