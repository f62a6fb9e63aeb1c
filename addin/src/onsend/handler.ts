// The OnMessageSend handler. Outlook waits for exactly one
// event.completed(...); a second call or none at all leaves the user stuck,
// so every path goes through `finish`, and a timer decides by policy when
// the server (or Outlook itself) does not answer within the deadline.

import { analyze, recordSent, ServerError, type FetchLike } from "../shared/api";
import { pickLocale } from "../shared/i18n";
import type { OfficeLike } from "../shared/office";
import { readDraft, toRequest } from "../shared/request";
import { loadSettings, rememberOnSend, serverConfig } from "../shared/settings";
import { Credentials, environment, microsoftApp, officeDeps, type AuthLike, type SignInDeps } from "../shared/signin";
import { onSendPolicy } from "../shared/types";
import { decide, type CompletedOptions, type Outcome } from "./decide";

/** Outlook shows "taking longer than expected" after about 5 s, counted
 * from loading this script: the check gets 3 s of it. */
export const DEADLINE_MS = 3000;
/** After an allowed send, how long recording it may hold the send back. */
export const RECORD_SENT_MS = 400;

export interface SendEvent {
  completed(options: CompletedOptions): void;
}

export interface HandlerDeps {
  office: OfficeLike;
  defaultBase: string;
  fetch?: FetchLike;
  setTimeout?: (fn: () => void, ms: number) => unknown;
  clearTimeout?: (handle: unknown) => void;
  now?: () => number;
  /** OfficeRuntime.auth (SSO without UI), if the runtime has it. */
  auth?: AuthLike | null;
  /** How tokens are got (default: MSAL's NAA and SSO, never a sign-in window). */
  signIn?: SignInDeps;
}

export function createOnMessageSendHandler(deps: HandlerDeps): (event: SendEvent) => Promise<void> {
  const setTimer = deps.setTimeout ?? ((fn, ms) => setTimeout(fn, ms));
  const clearTimer = deps.clearTimeout ?? ((h) => clearTimeout(h as ReturnType<typeof setTimeout>));
  const now = deps.now ?? (() => Date.now());

  return async function onMessageSendHandler(event: SendEvent): Promise<void> {
    const started = now();
    const { office } = deps;
    let done = false;
    const finish = (options: CompletedOptions) => {
      if (done) return;
      done = true;
      clearTimer(timer);
      try {
        event.completed(options);
      } catch {
        // Nothing left to tell Outlook; it already has our one answer or never will.
      }
    };

    // Everything below may fail, including reading settings in an odd host.
    let settings = loadSettings(null);
    try {
      settings = loadSettings(office.context.roamingSettings);
    } catch {
      /* defaults */
    }
    const locale = pickLocale(office.context.displayLanguage, settings.locale);
    const promptUser = office.MailboxEnums?.SendModeOverride?.PromptUser ?? "promptUser";
    // Not every host's JavaScript-only runtime has AbortController; the
    // timer decides on time either way, the abort only frees the request.
    const controller = typeof AbortController !== "undefined" ? new AbortController() : null;
    const timer = setTimer(() => {
      controller?.abort();
      finish(decide({ kind: "unchecked", reason: "timeout" }, settings.onSend, locale, promptUser));
    }, DEADLINE_MS);

    let outcome: Outcome;
    let request;
    const base = serverConfig(settings, deps.defaultBase);
    // Asked while the draft is read: the deadline counts from the start.
    const credentials = microsoftApp(base.baseUrl, deps.fetch, controller?.signal).then(
      (app) =>
        new Credentials(environment(office, deps.auth, app, settings.apiKey), deps.signIn ?? officeDeps(deps.auth, false)),
    );
    const server = { ...base, bearer: async () => (await credentials).bearer() };
    try {
      const item = office.context.mailbox.item;
      if (!item) throw new Error("no item");
      request = toRequest(await readDraft(item, office.context.mailbox.userProfile), locale);
    } catch {
      finish(decide({ kind: "unchecked", reason: "read" }, settings.onSend, locale, promptUser));
      return;
    }
    try {
      const report = await analyze(server, request, { signal: controller?.signal, fetch: deps.fetch });
      outcome = { kind: "report", report };
    } catch (err) {
      const reason = err instanceof ServerError ? err.kind : "network";
      finish(decide({ kind: "unchecked", reason }, settings.onSend, locale, promptUser));
      return;
    }
    if (done) return; // the deadline decided already
    const policy = onSendPolicy(outcome.report, settings.onSend);
    void rememberOnSend(office.context.roamingSettings, policy);
    const options = decide(outcome, policy, locale, promptUser);
    if (options.allowEvent) {
      // Code after completed() may never run, so the record is sent first,
      // bounded so that it never makes sending feel slow; keepalive lets
      // the request outlive this runtime where the host supports it.
      const budget = Math.max(0, Math.min(RECORD_SENT_MS, DEADLINE_MS - (now() - started)));
      const record = recordSent(server, request.draft, { fetch: deps.fetch, keepalive: true }).catch(() => undefined);
      await Promise.race([record, new Promise((resolve) => setTimer(() => resolve(undefined), budget))]);
    }
    finish(options);
  };
}
