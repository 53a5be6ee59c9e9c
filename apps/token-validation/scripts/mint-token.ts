// Mints an HS256 JWT for the local JWT_SECRET (workshops, curl, tests). Dev only.
//
//   npm run -s mint-token -- [--sub alice] [--scopes "notes:read notes:write"] [--ttl 3600] [--aud URL] [--iss URL]
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { SignJWT } from "jose";

const app = join(import.meta.dirname, "..");
const { values } = parseArgs({
  options: {
    sub: { type: "string", default: "dev-user" },
    scopes: { type: "string", default: "notes:read notes:write" },
    ttl: { type: "string", default: "3600" },
    iss: { type: "string", default: "http://127.0.0.1:8791" },
    aud: { type: "string", default: "http://localhost:8788/mcp" },
    "client-id": { type: "string", default: "dev-cli" },
  },
});

/** JWT_SECRET from .dev.vars (KEY="value" lines). */
function devSecret(): string {
  let text: string;
  try {
    text = readFileSync(join(app, ".dev.vars"), "utf8");
  } catch {
    console.error("No .dev.vars: run `npx -y pnpm@10.34.9 dev` once (it creates it from .dev.vars.example).");
    process.exit(2);
  }
  const match = /^JWT_SECRET\s*=\s*"?([^"\n]*)"?\s*$/m.exec(text);
  if (!match?.[1]) {
    console.error("JWT_SECRET is not set in .dev.vars.");
    process.exit(2);
  }
  return match[1];
}

const token = await new SignJWT({ scope: values.scopes, client_id: values["client-id"] })
  .setProtectedHeader({ alg: "HS256", typ: "at+jwt" })
  .setIssuer(values.iss)
  .setAudience(values.aud)
  .setSubject(values.sub)
  .setIssuedAt()
  .setExpirationTime(`${Number(values.ttl)}s`)
  .sign(new TextEncoder().encode(devSecret()));
console.log(token);
