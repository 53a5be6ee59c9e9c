import { z } from "zod";
import { defineTool } from "./tool.ts";

export const whoami = defineTool({
  name: "whoami",
  title: "Who am I",
  description:
    "Shows who this server thinks you are: auth pattern, proof method, subject, client, scopes and expiry. Never shows the credential.",
  input: z.object({}),
  output: z.object({
    pattern: z.string().describe("Auth pattern of this server"),
    method: z.string().describe("How the caller proved who it is"),
    subject: z.string().describe("Stable id of the caller, as the issuer names them"),
    issuer: z.string().describe("Who vouched for the subject: an issuer URL, an Access team, or self"),
    displayName: z.string().optional().describe("Human-readable name, when known"),
    clientId: z.string().describe("The client the credential was issued to"),
    scopes: z.array(z.string()).describe("Effective scopes"),
    expiresAt: z.string().optional().describe("ISO 8601 expiry of the credential, when it expires"),
  }),
  annotations: { readOnlyHint: true, openWorldHint: false },
  scope: undefined,
  async handler(_input, { caller }) {
    return {
      ok: true,
      output: {
        pattern: caller.pattern,
        method: caller.method,
        subject: caller.subject,
        issuer: caller.issuer,
        ...(caller.displayName === undefined ? {} : { displayName: caller.displayName }),
        clientId: caller.clientId,
        scopes: caller.scopes,
        ...(caller.expiresAt === undefined ? {} : { expiresAt: new Date(caller.expiresAt * 1000).toISOString() }),
      },
    };
  },
});
