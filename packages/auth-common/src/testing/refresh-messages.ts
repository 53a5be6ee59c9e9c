// What both OAuth apps answer a reused or concurrent refresh (auth-common's refresh-reuse.ts), or
// a refresh of a grant that has ended (server.ts),
// for the workerd and the Node suites alike: no import that only one of them can load.

/** What the server answers a reused refresh token (400 `invalid_grant`). */
export const REUSE_DESCRIPTION =
  "This refresh token was already used: the grant is revoked, with every token of it; authorize again.";
/** What the server answers the loser of two racing refreshes of one grant (400 `invalid_grant`). */
export const IN_PROGRESS_DESCRIPTION = "Another refresh of this grant is in progress; try again shortly.";
/** What the server answers a refresh of a grant that was revoked or has ended (400 `invalid_grant`). */
export const GRANT_ENDED_DESCRIPTION = "This grant was revoked or has ended; sign in again to authorize this client.";
