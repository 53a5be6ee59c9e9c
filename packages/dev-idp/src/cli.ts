// `pnpm dev`: the dev IdP on 127.0.0.1:8791 (DEV_IDP_PORT overrides, DEV_IDP_ISSUER sets the
// issuer) with the default clients and resources. DEV ONLY.
import { fileURLToPath } from "node:url";
import {
  DEFAULT_RESOURCES,
  DEV_PROXY_CLIENT,
  DEV_RESOURCE_SERVER_CLIENT,
  DEV_TEST_CLIENT,
  startDevIdp,
} from "./index.ts";
import { loadSigningKeys, saveSigningKeys } from "./key-state.ts";

const DEFAULT_PORT = 8791;

function portFromEnv(value: string | undefined): number {
  if (value === undefined || value === "") return DEFAULT_PORT;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`DEV_IDP_PORT must be a port number, got ${value}`);
  }
  return port;
}

// The signing keys live in a gitignored file beside the package, so ID tokens and JWT access
// tokens a running app holds still verify after `pnpm dev` restarts.
const keyFile = fileURLToPath(new URL("../.state/signing-keys.json", import.meta.url));
const KEY_FILE_NAME = "packages/dev-idp/.state/signing-keys.json";
const savedKeys = await loadSigningKeys(keyFile, KEY_FILE_NAME);

const issuerFromEnv = process.env.DEV_IDP_ISSUER;
const idp = await startDevIdp({
  port: portFromEnv(process.env.DEV_IDP_PORT),
  ...(issuerFromEnv === undefined || issuerFromEnv === "" ? {} : { issuer: issuerFromEnv }),
  ...(savedKeys === undefined ? {} : { signingKeys: savedKeys }),
});
if (savedKeys === undefined) await saveSigningKeys(keyFile, idp.exportSigningKeys());

const lines = [
  "dev-idp (DEV ONLY, never deploy)",
  `  issuer         ${idp.issuer}`,
  `  discovery      ${idp.discoveryUrl}`,
  `  authorization  ${idp.authorizationUrl}`,
  `  userinfo       ${idp.userinfoUrl}`,
  `  jwks           ${idp.jwksUrl}`,
  `  token          ${idp.tokenUrl}`,
  `  introspection  ${idp.introspectionUrl}`,
  `  revocation     ${idp.revocationUrl}`,
  "clients",
  `  ${DEV_TEST_CLIENT.clientId} / ${DEV_TEST_CLIENT.clientSecret}  (client_credentials)`,
  `  ${DEV_RESOURCE_SERVER_CLIENT.clientId} / ${DEV_RESOURCE_SERVER_CLIENT.clientSecret}  (introspection)`,
  `  ${DEV_PROXY_CLIENT.clientId} / ${DEV_PROXY_CLIENT.clientSecret}  (authorization_code + PKCE, refresh_token; redirect ${(DEV_PROXY_CLIENT.redirectUris ?? []).join(" ")})`,
  "accounts",
  "  any login name and password at the login page; claims name, preferred_username, email <login>@example.test",
  "signing keys",
  `  ${savedKeys === undefined ? "created" : "loaded"} ${KEY_FILE_NAME} (delete it for new keys)`,
  "resources",
  ...DEFAULT_RESOURCES.map(
    (r) => `  ${r.indicator}  ${r.format}  aud=${r.audience ?? r.indicator}  scope="${r.scope}"`,
  ),
];
console.log(lines.join("\n"));

let stopping = false;
function shutdown(signal: NodeJS.Signals): void {
  if (stopping) return;
  stopping = true;
  console.log(`dev-idp: ${signal}, stopping`);
  idp.stop().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error("dev-idp: stop failed", error);
      process.exit(1);
    },
  );
}
process.on("SIGINT", shutdown);
process.on("SIGTERM", shutdown);
