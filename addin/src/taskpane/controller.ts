// The pane's behaviour without its looks: when to analyse, what to keep on
// screen, what a fix or a dismissal does. React renders its state
// (useSyncExternalStore); tests drive it directly.

import * as api from "../shared/api";
import { pickLocale, t, type Locale } from "../shared/i18n";
import { call, RECIPIENTS_CHANGED, CoercionType, type ItemLike, type OfficeLike } from "../shared/office";
import { readBody, readDraft, requestKey, toRequest, unusableRecipients, type DraftData } from "../shared/request";
import { loadSettings, rememberOnSend, saveSettings, serverConfig, type Settings } from "../shared/settings";
import { Credentials, environment, microsoftApp, officeDeps, type AuthLike, type SignInDeps } from "../shared/signin";
import { onSendPolicy, type Finding, type Report } from "../shared/types";
import { appendLine, fixFor, insertAtCursor, moveExternalToBcc, removeSelectedLine, type FixKind } from "./fixes";

/** How often the body is read: Outlook has no event for typing. A change
 * is analysed once a poll sees the text unchanged (the writer paused). */
export const POLL_MS = 400;
export const ANALYZE_TIMEOUT_MS = 10000;

export type ErrorKind = api.FailureKind | "read";

export interface Notice {
  intent: "success" | "error" | "info";
  text: string;
}

export interface PaneState {
  locale: Locale;
  checking: boolean;
  report: Report | null;
  error: { kind: ErrorKind; message?: string; code?: string } | null;
  analysedAt: number | null;
  noRecipients: boolean;
  unusable: string[];
  dismissed: string[];
  notice: Notice | null;
  settings: Settings;
  docs: Record<string, api.CodeDoc>;
  org: api.OrgInfo | null;
  composeType: string | null;
  analyses: number; // reports received: tests and timing watch it
}

export interface ControllerDeps {
  office: OfficeLike;
  defaultBase: string;
  fetch?: api.FetchLike;
  pollMs?: number;
  now?: () => number;
  /** Office.auth (SSO) of the pane's Office.js, if it has one. */
  auth?: AuthLike | null;
  /** How tokens are got (default: MSAL's NAA and Office SSO, interactive). */
  signIn?: SignInDeps;
}

export class PaneController {
  private state: PaneState;
  private listeners = new Set<() => void>();
  private readSeq = 0; // the newest read of the draft wins
  private requestSeq = 0; // the newest request's answer is the one shown
  private inflight: AbortController | null = null;
  private lastKey: string | null = null;
  private lastPolled: string | null = null;
  private lastAnalysedText: string | null = null;
  private pollTimer: ReturnType<typeof setInterval> | null = null;
  private polling = false;
  private draft: DraftData | null = null;
  private readonly now: () => number;

  constructor(private readonly deps: ControllerDeps) {
    this.now = deps.now ?? (() => Date.now());
    const settings = loadSettings(deps.office.context.roamingSettings);
    this.state = {
      locale: pickLocale(deps.office.context.displayLanguage, settings.locale),
      checking: false,
      report: null,
      error: null,
      analysedAt: null,
      noRecipients: false,
      unusable: [],
      dismissed: [],
      notice: null,
      settings,
      docs: {},
      org: null,
      composeType: null,
      analyses: 0,
    };
  }

  // --- store ---------------------------------------------------------

  getState = (): PaneState => this.state;

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  private set(patch: Partial<PaneState>): void {
    this.state = { ...this.state, ...patch };
    this.listeners.forEach((l) => l());
  }

  get item(): ItemLike | null {
    return this.deps.office.context.mailbox.item;
  }

  get server(): api.ServerConfig {
    return { ...serverConfig(this.state.settings, this.deps.defaultBase), bearer: () => this.bearer() };
  }

  private credentials: Promise<Credentials> | null = null;

  /** Asks the server once (per settings) how to sign in, then gets a token for each request. */
  private async bearer(): Promise<string | null> {
    const { baseUrl, apiKey } = serverConfig(this.state.settings, this.deps.defaultBase);
    this.credentials ??= microsoftApp(baseUrl, this.deps.fetch).then(
      (app) =>
        new Credentials(
          environment(this.deps.office, this.deps.auth, app, apiKey),
          this.deps.signIn ?? officeDeps(this.deps.auth, true),
        ),
    );
    return (await this.credentials).bearer();
  }

  // --- lifecycle -----------------------------------------------------

  /** Analyse now, then on every recipient change and typing pause. */
  start(): void {
    const item = this.item;
    if (item?.addHandlerAsync) {
      try {
        item.addHandlerAsync(RECIPIENTS_CHANGED, () => void this.analyse());
      } catch {
        // Older hosts: recipient changes are caught by the next analysis.
      }
    }
    void this.analyse();
    void this.loadDocs();
    void this.loadOrg();
    this.pollTimer = setInterval(() => void this.poll(), this.deps.pollMs ?? POLL_MS);
  }

  stop(): void {
    if (this.pollTimer) clearInterval(this.pollTimer);
    this.pollTimer = null;
    this.inflight?.abort();
  }

  /** Reads only subject and text, the cheap part; skips when nothing changed. */
  async poll(): Promise<void> {
    const item = this.item;
    if (!item || this.polling) return;
    this.polling = true;
    try {
      const [subject, text] = await Promise.all([
        call<string>("subject.getAsync", (cb) => item.subject.getAsync(cb)),
        readBody(item, CoercionType.Text, this.state.composeType),
      ]);
      const snapshot = `${subject}\u0000${text}`;
      const paused = snapshot === this.lastPolled;
      this.lastPolled = snapshot;
      if (paused && snapshot !== this.lastAnalysedText && !this.state.checking) await this.analyse();
    } catch {
      // A failed poll is retried by the next one; analyse() reports errors.
    } finally {
      this.polling = false;
    }
  }

  /** Reads the whole draft and analyses it unless it is what was analysed last. */
  async analyse(force = false): Promise<void> {
    const item = this.item;
    if (!item) return;
    const seq = ++this.readSeq;
    let request;
    // The spinner shows from the start: reading the draft can be the slow part.
    if (!this.state.checking) this.set({ checking: true });
    try {
      const draft = await readDraft(item, this.deps.office.context.mailbox.userProfile);
      if (seq !== this.readSeq) return;
      this.draft = draft;
      request = toRequest(draft, this.state.locale);
      this.lastAnalysedText = `${draft.subject}\u0000${draft.text}`;
      this.lastPolled ??= this.lastAnalysedText;
      const unusable = unusableRecipients(draft);
      const { to, cc, bcc } = request.draft;
      if (!to.length && !cc.length && !bcc.length) {
        this.requestSeq++;
        this.inflight?.abort();
        this.lastKey = null;
        this.set({ noRecipients: true, report: null, error: null, checking: false, unusable, composeType: draft.composeType });
        return;
      }
      const key = requestKey(request);
      if (!force && key === this.lastKey && !this.state.error) {
        if (!this.inflight) this.set({ checking: false });
        return;
      }
      this.lastKey = key;
      this.set({ checking: true, noRecipients: false, unusable, composeType: draft.composeType });
    } catch (err) {
      if (seq !== this.readSeq) return;
      this.lastKey = null;
      this.set({ checking: false, error: { kind: "read", message: err instanceof Error ? err.message : String(err) } });
      return;
    }
    const requestSeq = ++this.requestSeq;
    this.inflight?.abort();
    const controller = new AbortController();
    this.inflight = controller;
    const timer = setTimeout(() => controller.abort(), ANALYZE_TIMEOUT_MS);
    try {
      const report = await api.analyze(this.server, request, { signal: controller.signal, fetch: this.deps.fetch });
      if (requestSeq !== this.requestSeq) return;
      void rememberOnSend(this.deps.office.context.roamingSettings, onSendPolicy(report, this.state.settings.onSend));
      this.set({ report, error: null, checking: false, analysedAt: this.now(), analyses: this.state.analyses + 1 });
    } catch (err) {
      if (requestSeq !== this.requestSeq) return;
      this.lastKey = null; // analyse again on the next chance
      const kind = err instanceof api.ServerError ? err.kind : "network";
      const code = err instanceof api.ServerError ? err.code : undefined;
      this.set({ checking: false, error: { kind, message: err instanceof Error ? err.message : undefined, code } });
    } finally {
      clearTimeout(timer);
      if (this.inflight === controller) this.inflight = null;
    }
  }

  retry(): Promise<void> {
    return this.analyse(true);
  }

  private async loadDocs(): Promise<void> {
    const locale = this.state.locale;
    try {
      const { codes } = await api.codeDocs(this.server, locale, { fetch: this.deps.fetch });
      if (locale === this.state.locale) this.set({ docs: Object.fromEntries(codes.map((c) => [c.code, c])) });
    } catch {
      this.set({ docs: {} }); // "Why?" then shows the finding's own suggestion
    }
  }

  private async loadOrg(): Promise<void> {
    try {
      this.set({ org: await api.orgInfo(this.server, { fetch: this.deps.fetch }) });
    } catch {
      this.set({ org: null });
    }
  }

  // --- user actions --------------------------------------------------

  async setLocale(locale: Locale): Promise<void> {
    if (locale === this.state.locale) return;
    this.set({ locale, docs: {}, notice: null });
    const rs = this.deps.office.context.roamingSettings;
    void saveSettings(rs, { locale }).catch(() => undefined);
    this.state.settings = { ...this.state.settings, locale };
    void this.loadDocs();
    await this.analyse(true);
  }

  async saveSettings(server: string, apiKey: string): Promise<boolean> {
    const patch = { server: server.trim() || null, apiKey: apiKey.trim() || null };
    try {
      await saveSettings(this.deps.office.context.roamingSettings, patch);
    } catch (err) {
      this.set({ notice: { intent: "error", text: err instanceof Error ? err.message : String(err) } });
      return false;
    }
    this.credentials = null; // another server or key: ask again how to sign in
    this.set({ settings: { ...this.state.settings, ...patch }, notice: { intent: "success", text: t(this.state.locale, "settings.saved") } });
    void this.loadDocs();
    void this.loadOrg();
    await this.analyse(true);
    return true;
  }

  async dismiss(finding: Finding, reason: string): Promise<boolean> {
    const user = this.deps.office.context.mailbox.userProfile?.emailAddress;
    try {
      await api.recordOverride(this.server, { code: finding.code, reason, ...(user ? { user } : {}) }, { fetch: this.deps.fetch });
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.set({ notice: { intent: "error", text: t(this.state.locale, "dismiss.failed", { message }) } });
      return false;
    }
    this.set({ dismissed: [...this.state.dismissed, finding.code], notice: null });
    return true;
  }

  fixFor(finding: Finding): FixKind | null {
    return this.state.report ? fixFor(finding, this.state.report, this.state.org?.postal_address ?? null) : null;
  }

  async applyFix(fix: FixKind): Promise<void> {
    const item = this.item;
    if (!item) return;
    const locale = this.state.locale;
    try {
      if (fix.kind === "moveToBcc") {
        await moveExternalToBcc(item, fix.emails, this.draft?.from ?? null);
      } else if (fix.kind === "insert") {
        await insertAtCursor(item, fix.text);
      } else if (fix.kind === "optOut") {
        await appendLine(item, t(locale, "fix.optOutLine"), this.state.composeType);
      } else if (fix.kind === "postal") {
        await appendLine(item, fix.address, this.state.composeType);
      } else if (fix.kind === "removeMergeLine") {
        if ((await removeSelectedLine(item, fix.field)) === "select-first") {
          this.set({ notice: { intent: "info", text: t(locale, "fix.selectFirst", { field: fix.field }) } });
          return;
        }
      }
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.set({ notice: { intent: "error", text: t(locale, "fix.failed", { message }) } });
      return;
    }
    this.set({ notice: { intent: "success", text: t(locale, "fix.done") } });
    await this.analyse();
  }

  async insertSuggestion(text: string): Promise<void> {
    await this.applyFix({ kind: "insert", text });
  }

  clearNotice(): void {
    this.set({ notice: null });
  }
}
