// A strict parser of the `WWW-Authenticate` header for tests: a server that sends a malformed
// challenge must fail the test, not be read leniently.

/** One challenge of a `WWW-Authenticate` header (RFC 9110 §11.6.1). */
export interface Challenge {
  /** The auth-scheme as sent, e.g. `Bearer` (compare case-insensitively). */
  scheme: string;
  /** auth-params by lower-cased name, quoted-strings unescaped. */
  params: Record<string, string>;
  /** The token68 form (`Basic dXNlcg==`), when the challenge uses it instead of params. */
  token68?: string;
}

const TCHAR = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;
const TOKEN68_CHAR = /[A-Za-z0-9\-._~+/]/;

/**
 * Parses every challenge in a `WWW-Authenticate` value (RFC 9110 §11.6.1: `#challenge`, each
 * `auth-scheme [ 1*SP ( token68 / #auth-param ) ]`, values a token or a quoted-string).
 *
 * Validates: the grammar above; a parameter named twice in one challenge is an error (RFC 6750 §3
 * "MUST NOT appear more than once"). Does not validate: what a scheme's parameters mean.
 * @throws Error naming the position of the first character that breaks the grammar.
 */
export function parseWwwAuthenticate(header: string): Challenge[] {
  let at = 0;
  const fail = (what: string): never => {
    throw new Error(`malformed WWW-Authenticate at ${at} (${what}): ${JSON.stringify(header)}`);
  };
  const skip = (chars: RegExp) => {
    while (at < header.length && chars.test(header.charAt(at))) at++;
  };
  const token = (): string => {
    const start = at;
    while (at < header.length && TCHAR.test(header.charAt(at))) at++;
    return header.slice(start, at);
  };
  const quoted = (): string => {
    at++; // opening quote
    let value = "";
    while (at < header.length) {
      const char = header.charAt(at);
      if (char === '"') {
        at++;
        return value;
      }
      if (char === "\\") {
        at++;
        if (at >= header.length) break;
      }
      value += header.charAt(at);
      at++;
    }
    return fail("unterminated quoted-string");
  };
  /** Whether the text at `at` is `token BWS "="` followed by a value (an auth-param, not a scheme). */
  const paramAhead = (): boolean => {
    const match = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+[ \t]*=[ \t]*(?:"|[!#$%&'*+\-.^_`|~0-9A-Za-z])/.exec(header.slice(at));
    return match !== null;
  };

  const challenges: Challenge[] = [];
  skip(/[ \t,]/);
  while (at < header.length) {
    const scheme = token();
    if (scheme === "") fail("expected an auth-scheme");
    // No prototype: a parameter named __proto__ or constructor is a parameter like any other.
    const challenge: Challenge = { scheme, params: Object.create(null) as Record<string, string> };
    challenges.push(challenge);
    let separated = false;
    if (at < header.length && header.charAt(at) !== ",") {
      if (header.charAt(at) !== " ") fail("expected a space after the auth-scheme");
      skip(/ /);
      if (!paramAhead()) {
        // token68, or nothing before the next challenge.
        const start = at;
        while (at < header.length && TOKEN68_CHAR.test(header.charAt(at))) at++;
        while (at < header.length && header.charAt(at) === "=") at++;
        if (at > start) challenge.token68 = header.slice(start, at);
      } else {
        for (;;) {
          const name = token().toLowerCase();
          skip(/[ \t]/);
          if (header.charAt(at) !== "=") fail("expected '='");
          at++;
          skip(/[ \t]/);
          const value = header.charAt(at) === '"' ? quoted() : token();
          if (Object.hasOwn(challenge.params, name)) fail(`parameter ${name} given twice`);
          challenge.params[name] = value;
          skip(/[ \t]/);
          if (at >= header.length) break;
          if (header.charAt(at) !== ",") fail("expected ',' between parameters");
          at++;
          skip(/[ \t,]/);
          separated = true;
          if (!paramAhead()) break; // the next challenge starts here
          separated = false;
        }
      }
    }
    skip(/[ \t]/);
    if (at < header.length && !separated && header.charAt(at) !== ",") fail("expected ',' between challenges");
    skip(/[ \t,]/);
  }
  return challenges;
}

/** The `Bearer` challenge of a header (RFC 6750 §3), or `undefined` when there is none. */
export function bearerChallenge(header: string | null | undefined): Challenge | undefined {
  if (header === null || header === undefined || header.trim() === "") return undefined;
  return parseWwwAuthenticate(header).find((challenge) => challenge.scheme.toLowerCase() === "bearer");
}
