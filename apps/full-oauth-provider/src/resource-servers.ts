// The resource servers allowed to introspect this server's tokens (RFC 7662 at /introspect), in
// D1. The Worker and the admin CLI both go through this module. A secret is shown once and only
// its SHA-256 is stored: it is 32 random bytes, so a plain hash is as strong as a slow one.
import { sha256Hex, timingSafeEqual, type SqlDatabase } from "@mcp-auth/auth-common";

export interface ResourceServerRecord {
  id: string;
  name: string;
  /** The resource identifiers (RFC 8707) whose tokens it may learn about. */
  resources: string[];
  /** Seconds since the epoch. */
  createdAt: number;
}

interface Row {
  id: string;
  name: string;
  secret_hash: string;
  resources: string;
  created_at: number;
}

/** A resource server id: `rs_` and 16 random hex digits (never a `:`, which Basic auth splits on). */
const ID = /^rs_[0-9a-f]{16}$/;

/** Longest name accepted: a label for people, shown by `list`. */
export const MAX_RESOURCE_SERVER_NAME = 100;

/**
 * A resource identifier as the authorization server compares it: an absolute http(s) URL
 * without fragment or userinfo, serialized the WHATWG way (lowercase scheme and host).
 * `undefined` when it is not one.
 */
export function canonicalResource(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if ((url.protocol !== "https:" && url.protocol !== "http:") || url.hash !== "" || value.includes("#")) {
    return undefined;
  }
  if (url.username !== "" || url.password !== "") return undefined;
  return url.href;
}

function fromRow(row: Row): ResourceServerRecord {
  const resources: unknown = JSON.parse(row.resources);
  return {
    id: row.id,
    name: row.name,
    resources: Array.isArray(resources) ? resources.filter((r): r is string => typeof r === "string") : [],
    createdAt: row.created_at,
  };
}

/**
 * The resource server `pnpm dev` registers: token-validation on its dev port, so that its
 * `AUTH_METHODS=introspection` recipe works as printed. Local state only (`users seed-dev`
 * refuses --remote); the secret is as public as this file.
 */
export const DEV_RESOURCE_SERVER = {
  id: "rs_00000000000dec0d",
  name: "token-validation (local dev)",
  secret: "dev-only-token-validation-introspection-secret",
  resources: ["http://localhost:8788/mcp"],
} as const;

/**
 * Registers a resource server; the secret is returned once and never stored. `fixed` (the dev
 * seed only) names the id and secret instead of drawing them.
 */
export async function addResourceServer(
  db: SqlDatabase,
  { name, resources }: { name: string; resources: readonly string[] },
  fixed?: { id: string; secret: string },
): Promise<{ server: ResourceServerRecord; secret: string }> {
  const trimmed = name.trim();
  if (trimmed === "" || trimmed.length > MAX_RESOURCE_SERVER_NAME) {
    throw new RangeError(`a name of 1 to ${MAX_RESOURCE_SERVER_NAME} characters`);
  }
  if (resources.length === 0) throw new RangeError("at least one --resource");
  const canonical = resources.map((resource) => {
    const value = canonicalResource(resource);
    if (value === undefined) throw new RangeError(`${resource} is not an http(s) URL without fragment or userinfo`);
    return value;
  });
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  const id = fixed?.id ?? `rs_${[...bytes].map((byte) => byte.toString(16).padStart(2, "0")).join("")}`;
  const secret =
    fixed?.secret ??
    btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(32))))
      .replaceAll("+", "-")
      .replaceAll("/", "_")
      .replace(/=+$/, "");
  const server = { id, name: trimmed, resources: [...new Set(canonical)], createdAt: Math.floor(Date.now() / 1000) };
  await db
    .prepare("INSERT INTO resource_servers (id, name, secret_hash, resources, created_at) VALUES (?, ?, ?, ?, ?)")
    .bind(server.id, server.name, await sha256Hex(secret), JSON.stringify(server.resources), server.createdAt)
    .run();
  return { server, secret };
}

/** Every registered resource server, oldest first (never a secret or its hash). */
export async function listResourceServers(db: SqlDatabase): Promise<ResourceServerRecord[]> {
  const { results } = await db
    .prepare("SELECT id, name, secret_hash, resources, created_at FROM resource_servers ORDER BY created_at, id")
    .all<Row>();
  return results.map(fromRow);
}

/** Removes one; its secret stops working on the next introspection. False when there was none. */
export async function removeResourceServer(db: SqlDatabase, id: string): Promise<boolean> {
  const { meta } = await db.prepare("DELETE FROM resource_servers WHERE id = ?").bind(id).run();
  return meta.changes > 0;
}

/**
 * The resource server this id and secret prove, or `undefined` for an unknown id and a wrong
 * secret alike. Validates: the id's shape before any query; the secret's hash compared in
 * constant time.
 */
export async function authenticateResourceServer(
  db: SqlDatabase,
  id: string,
  secret: string,
): Promise<ResourceServerRecord | undefined> {
  if (!ID.test(id) || secret.length > 256) return undefined;
  const row = await db
    .prepare("SELECT id, name, secret_hash, resources, created_at FROM resource_servers WHERE id = ?")
    .bind(id)
    .first<Row>();
  if (row === null || !timingSafeEqual(row.secret_hash, await sha256Hex(secret))) return undefined;
  return fromRow(row);
}
