import { hashPassword, pepperFromSecret } from "@mcp-auth/auth-common/accounts";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { DEV_USER, devSignIn } from "../src/dev-seed.ts";
import { addUser, findByEmail, replacePassword } from "../src/users.ts";
import { call } from "./helpers.ts";

// GET / shows the dev sign-in while the dev seed is in use, and only then.
const SHOWN = `${DEV_USER.email} / ${DEV_USER.password}`;

describe("the landing page's dev sign-in", () => {
  it("is shown only while the seeded dev account signs in with the dev password, and never off loopback", async () => {
    const peppers = { current: await pepperFromSecret(env.PASSWORD_PEPPER) };
    const before = await (await call("/")).text();
    expect(before).not.toContain(SHOWN);
    expect(before).toContain("npm run users -- add");

    const seeded = await addUser(env.DB, {
      email: DEV_USER.email,
      displayName: DEV_USER.name,
      passwordHash: await hashPassword(DEV_USER.password, peppers),
    });
    const page = await call("/");
    expect(page.status).toBe(200);
    expect(await page.text()).toContain(`Dev sign-in (the account pnpm dev seeded; local only): ${SHOWN}`);
    // A deployed origin never shows it, whatever its database holds.
    expect(await devSignIn(env.DB, "https://mcp.example.com", peppers)).toBeUndefined();

    // Once its password is changed, the dev password is no longer the one to print.
    await replacePassword(env.DB, seeded.id, await hashPassword("another password entirely", peppers));
    expect((await findByEmail(env.DB, DEV_USER.email))?.user.id).toBe(seeded.id);
    expect(await (await call("/")).text()).not.toContain(SHOWN);
  });
});
