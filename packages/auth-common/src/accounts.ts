// A server's own user accounts (full-oauth-provider): password hashing, browser sessions with
// CSRF tokens, and the forms its own pages POST. Node-safe: the admin CLI hashes passwords too.
export {
  MIN_PEPPER_LENGTH,
  PASSWORD_HASH_PARAMETERS,
  PASSWORD_MAX_LENGTH,
  PASSWORD_MIN_LENGTH,
  WORKERS_PBKDF2_MAX_ITERATIONS,
  hashPassword,
  parsePasswordHash,
  passwordProblem,
  pepperFromSecret,
  verifyPassword,
  type PasswordCheck,
  type Pepper,
  type Peppers,
} from "./password.ts";
export {
  SESSION_COOKIE,
  checkCsrfToken,
  clearedSessionCookie,
  csrfToken,
  fromAnotherSite,
  newSessionId,
  readSessionCookie,
  safeReturnTo,
  sessionCookie,
  sessionIdHash,
} from "./session.ts";
export { MAX_FORM_BYTES, forgedForm, ownPageForm, readForm } from "./forms.ts";
