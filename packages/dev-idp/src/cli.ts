// `pnpm dev`: the dev IdP on 127.0.0.1:8791 (DEV_IDP_PORT overrides, DEV_IDP_ISSUER sets the
// issuer) with the default clients and resources. DEV ONLY.
import { DEFAULT_RESOURCES, DEV_RESOURCE_SERVER_CLIENT, DEV_TEST_CLIENT, startDevIdp } from "./index.ts";

const DEFAULT_PORT = 8791;

function portFromEnv(value: string | undefined): number {
  if (value === undefined || value === "") return DEFAULT_PORT;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`DEV_IDP_PORT must be a port number, got ${value}`);
  }
  return port;
}

const issuerFromEnv = process.env.DEV_IDP_ISSUER;
const idp = await startDevIdp({
  port: portFromEnv(process.env.DEV_IDP_PORT),
  ...(issuerFromEnv === undefined || issuerFromEnv === "" ? {} : { issuer: issuerFromEnv }),
});

const lines = [
  "dev-idp (DEV ONLY, never deploy)",
  `  issuer         ${idp.issuer}`,
  `  discovery      ${idp.issuer}/.well-known/openid-configuration`,
  `  jwks           ${idp.jwksUrl}`,
  `  token          ${idp.tokenUrl}`,
  `  introspection  ${idp.introspectionUrl}`,
  `  revocation     ${idp.revocationUrl}`,
  "clients",
  `  ${DEV_TEST_CLIENT.clientId} / ${DEV_TEST_CLIENT.clientSecret}  (client_credentials)`,
  `  ${DEV_RESOURCE_SERVER_CLIENT.clientId} / ${DEV_RESOURCE_SERVER_CLIENT.clientSecret}  (introspection)`,
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
