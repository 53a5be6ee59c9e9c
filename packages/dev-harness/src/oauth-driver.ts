// The browser half of an OAuth authorization-code flow, without a browser: follows every redirect
// itself (recording each hop), keeps cookies per origin, signs in at dev-idp's login page,
// answers consent pages, and stops at the client's redirect URI without fetching it.
import { CookieJar, type Fetch } from "./cookie-jar.ts";
import { formEntries, isSubmitButton, parseForms, type FormControl, type HtmlForm } from "./html-forms.ts";

export {
  decodeEntities,
  formEntries,
  isSubmitButton,
  parseForms,
  type FormControl,
  type HtmlForm,
} from "./html-forms.ts";

/** One request the driver made, and the answer. Credential-bearing query values are redacted. */
export interface DriverStep {
  method: "GET" | "POST";
  url: string;
  status: number;
  location?: string;
}

export interface AuthorizeOptions {
  /** The authorization URL the client built (our server's /authorize?...). */
  authorizationUrl: string | URL;
  /** Stop when a redirect goes here: same origin and path, any query. Never fetched. */
  redirectUri: string;
  /**
   * What to do on OUR consent page: approve (optionally with a chosen set of scopes) or deny.
   * Default: approve with the scopes the page ticked. `scopes` are sent as given, even ones the
   * page did not offer, so a test can check the server refuses them.
   */
  consent?: { decision: "approve" | "deny"; scopes?: string[] };
  /** Upstream (dev-idp) login name. Default "alice". */
  login?: string;
  /** Upstream password; dev-idp accepts any. Default "dev-only-password". */
  password?: string;
  /** A browser to reuse (cookies persist across calls, e.g. an IdP session); default a fresh one. */
  browser?: HeadlessBrowser;
  /** Give up after this many requests. Default 30. */
  maxSteps?: number;
  /**
   * Attack cases: rewrite a redirect before the browser follows it (a mix-up `iss`, a swapped
   * `state`). Called with every redirect target; return it unchanged to leave it alone.
   */
  rewriteRedirect?: (target: URL) => URL;
}

export interface AuthorizeResult {
  /** The final redirect to `redirectUri`, with code/state/iss or error. */
  callback: URL;
  steps: DriverStep[];
  /** Our consent pages (the form with `name="handle"`) answered. */
  consentPagesSeen: number;
  /** dev-idp login forms filled in. */
  idpLoginsSeen: number;
  /** dev-idp consent ("Authorize") forms confirmed. */
  idpConsentsSeen: number;
}

/**
 * A cookie-keeping client for OAuth pages: one {@link CookieJar} (cookies kept per origin),
 * redirects never followed (`redirect: "manual"`), so a driver sees and records every hop.
 */
export class HeadlessBrowser {
  readonly jar: CookieJar;
  readonly #fetch: Fetch;

  /** @param options.fetch the underlying fetch (default the global one); `now` the jar's clock. */
  constructor(options: { fetch?: Fetch; now?: () => number } = {}) {
    this.jar = new CookieJar(options.now === undefined ? {} : { now: options.now });
    this.#fetch = this.jar.fetch(options.fetch ?? fetch);
  }

  /** `fetch` with this browser's cookies; redirects are returned, not followed. */
  fetch(url: string | URL, init?: RequestInit): Promise<Response> {
    return this.#fetch(url, init);
  }
}

/** Query parameters whose values are credentials: never copied into steps or errors. */
const SECRET_PARAMS = ["code", "access_token", "id_token", "refresh_token", "client_secret", "password"];

/** `url` with the values of credential-bearing query (and fragment) parameters replaced. */
function redact(url: URL): string {
  const copy = new URL(url);
  for (const name of SECRET_PARAMS) {
    if (copy.searchParams.has(name)) copy.searchParams.set(name, "[redacted]");
  }
  if (copy.hash !== "") {
    const fragment = new URLSearchParams(copy.hash.slice(1));
    if (SECRET_PARAMS.some((name) => fragment.has(name))) copy.hash = "#[redacted]";
  }
  return copy.toString();
}

function sameEndpoint(url: URL, target: URL): boolean {
  return url.origin === target.origin && url.pathname === target.pathname;
}

async function unexpected(url: URL, response: Response, why: string, body?: string): Promise<Error> {
  const text = body ?? (await response.text().catch(() => ""));
  const snippet = text.slice(0, 300).replace(/\s+/gu, " ").trim();
  return new Error(`authorizeHeadlessly: ${why} at ${redact(url)} (HTTP ${response.status}): ${snippet}`);
}

function findControl(form: HtmlForm, name: string): FormControl | undefined {
  return form.controls.find((control) => control.name === name);
}

interface Submission {
  form: HtmlForm;
  entries: [string, string][];
}

/** Our consent page: the one form carrying `handle`. */
function answerOurConsent(form: HtmlForm, consent: NonNullable<AuthorizeOptions["consent"]>): Submission | string {
  const decision = form.controls.find(
    (control) => isSubmitButton(control) && control.name === "decision" && control.value === consent.decision,
  );
  if (decision === undefined) return `the consent page has no "${consent.decision}" button`;
  const offered = form.controls.filter((control) => control.type === "checkbox" && control.name === "scope");
  // Default: leave the boxes as the page ticked them, as a user who just clicks the button would.
  const chosen = consent.scopes ?? offered.filter((control) => control.checked).map((control) => control.value);
  // Tick exactly the chosen boxes on a copy, as a user would; unoffered choices are appended.
  const copy: HtmlForm = {
    ...form,
    controls: form.controls.map((control) =>
      offered.includes(control) ? { ...control, checked: chosen.includes(control.value) } : control,
    ),
  };
  const submitter = copy.controls[form.controls.indexOf(decision)];
  const entries = formEntries(copy, submitter);
  const offeredValues = new Set(offered.map((control) => control.value));
  for (const scope of chosen) if (!offeredValues.has(scope)) entries.push(["scope", scope]);
  return { form, entries };
}

/** dev-idp's login form (`login` + `password`), filled in. */
function answerLogin(form: HtmlForm, login: string, password: string): Submission {
  const controls = form.controls.map((control) => {
    if (control.name === "login") return { ...control, value: login };
    if (control.name === "password") return { ...control, value: password };
    return control;
  });
  const filled = { ...form, controls };
  return { form, entries: formEntries(filled, controls.find(isSubmitButton)) };
}

/**
 * Drives the browser part of an authorization-code flow from `authorizationUrl` until a redirect
 * to `redirectUri`, and returns that redirect (not fetched) with every hop on the way.
 *
 * Follows 301/302/303 (as GET) and 307/308 (same method and body) itself. On a 200 page it
 * answers, as a browser user would: our consent page (a form with `name="handle"`, posted with an
 * `Origin` header and the chosen `decision` and `scope`s), dev-idp's login form (`login`,
 * `password`, its hidden inputs) and dev-idp's consent form (`prompt=consent`).
 * Throws, with the URL (credentials redacted), status and the start of the body: on any other
 * page, an error status, a redirect without `Location`, or more than `maxSteps` requests.
 */
export async function authorizeHeadlessly(options: AuthorizeOptions): Promise<AuthorizeResult> {
  const browser = options.browser ?? new HeadlessBrowser();
  const redirectUri = new URL(options.redirectUri);
  const consent = options.consent ?? { decision: "approve" };
  const login = options.login ?? "alice";
  const password = options.password ?? "dev-only-password";
  const maxSteps = options.maxSteps ?? 30;
  const result: Omit<AuthorizeResult, "callback"> = {
    steps: [],
    consentPagesSeen: 0,
    idpLoginsSeen: 0,
    idpConsentsSeen: 0,
  };

  let url = new URL(options.authorizationUrl);
  let init: RequestInit & { method: "GET" | "POST" } = { method: "GET" };
  for (;;) {
    if (sameEndpoint(url, redirectUri)) return { callback: url, ...result };
    if (result.steps.length >= maxSteps) {
      throw new Error(`authorizeHeadlessly: gave up after ${maxSteps} requests, next was ${redact(url)}`);
    }
    const headers = new Headers(init.headers);
    headers.set("accept", "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8");
    const response = await browser.fetch(url, { ...init, headers });
    const location = response.headers.get("location");
    const step: DriverStep = { method: init.method, url: redact(url), status: response.status };
    result.steps.push(step);

    if ([301, 302, 303, 307, 308].includes(response.status)) {
      if (location === null) throw await unexpected(url, response, "a redirect without Location");
      await response.body?.cancel();
      const next = options.rewriteRedirect?.(new URL(location, url)) ?? new URL(location, url);
      step.location = redact(next);
      // Fetch §4.4: 303, and 301/302 after a POST, become a GET without a body.
      if (response.status === 303 || ((response.status === 301 || response.status === 302) && init.method === "POST")) {
        init = { method: "GET" };
      }
      url = next;
      continue;
    }
    if (response.status !== 200) throw await unexpected(url, response, "an unexpected answer");

    const html = await response.text();
    const forms = parseForms(html, url);
    let submission: Submission | string;
    const ours = forms.filter((form) => findControl(form, "handle") !== undefined);
    const idpLogin = forms.find(
      (form) => findControl(form, "login") !== undefined && findControl(form, "password") !== undefined,
    );
    const idpConsent = forms.find((form) =>
      form.controls.some((control) => control.name === "prompt" && control.value === "consent"),
    );
    if (ours.length > 1) {
      submission = "a page with more than one consent form";
    } else if (ours[0] !== undefined) {
      result.consentPagesSeen++;
      submission = answerOurConsent(ours[0], consent);
    } else if (idpLogin !== undefined) {
      result.idpLoginsSeen++;
      submission = answerLogin(idpLogin, login, password);
    } else if (idpConsent !== undefined) {
      result.idpConsentsSeen++;
      submission = { form: idpConsent, entries: formEntries(idpConsent, idpConsent.controls.find(isSubmitButton)) };
    } else {
      submission = "a page the driver does not know";
    }
    if (typeof submission === "string") throw await unexpected(url, response, submission, html);

    const body = new URLSearchParams(submission.entries);
    const pageOrigin = url.origin;
    // What Chromium sends with a form POST: `Origin` is "null" when the page's Referrer-Policy is
    // no-referrer (the Fetch standard's origin serialization), and Sec-Fetch-Site says whether
    // the form and its target share an origin.
    const noReferrer = /(^|,)\s*no-referrer\s*$/i.test(response.headers.get("referrer-policy") ?? "");
    if (submission.form.method === "GET") {
      url = new URL(submission.form.action);
      url.search = body.toString();
      init = { method: "GET" };
    } else {
      url = submission.form.action;
      init = {
        method: "POST",
        headers: {
          "content-type": "application/x-www-form-urlencoded",
          origin: noReferrer ? "null" : pageOrigin,
          "sec-fetch-site": new URL(submission.form.action).origin === pageOrigin ? "same-origin" : "cross-site",
        },
        body: body.toString(),
      };
    }
  }
}
