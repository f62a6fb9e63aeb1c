// The task pane, top to bottom in the order a writer needs it (ui.md):
// verdict, findings worst first, recipients, what the CRM knows, footer.

import {
  Button,
  Dialog,
  DialogActions,
  DialogBody,
  DialogContent,
  DialogSurface,
  DialogTitle,
  Field,
  Input,
  Link,
  MessageBar,
  MessageBarBody,
  Radio,
  RadioGroup,
  Spinner,
  Textarea,
  Tooltip,
  makeStyles,
  tokens,
} from "@fluentui/react-components";
import { useEffect, useId, useState, useSyncExternalStore } from "react";
import { t, type Locale } from "../shared/i18n";
import { onSendPolicy, worstFirst, type ContextSuggestion, type Finding, type RecipientInfo } from "../shared/types";
import type { FixKind } from "./fixes";
import type { PaneController, PaneState } from "./controller";

const VISIBLE_FINDINGS = 3;

const useStyles = makeStyles({
  pane: {
    boxSizing: "border-box",
    width: "100%",
    maxWidth: "100%",
    padding: "12px",
    display: "flex",
    flexDirection: "column",
    rowGap: "12px",
    fontFamily: tokens.fontFamilyBase,
    fontSize: tokens.fontSizeBase300,
    color: tokens.colorNeutralForeground1,
    overflowWrap: "anywhere",
  },
  banner: { display: "flex", alignItems: "center", columnGap: "8px" },
  section: { display: "flex", flexDirection: "column", rowGap: "8px", margin: 0, padding: 0 },
  heading: { fontSize: tokens.fontSizeBase400, fontWeight: tokens.fontWeightSemibold, margin: 0 },
  list: { listStyleType: "none", margin: 0, padding: 0, display: "flex", flexDirection: "column", rowGap: "8px" },
  card: {
    border: `1px solid ${tokens.colorNeutralStroke2}`,
    borderLeft: `4px solid ${tokens.colorNeutralStroke1}`,
    borderRadius: tokens.borderRadiusMedium,
    padding: "8px 10px",
    display: "flex",
    flexDirection: "column",
    rowGap: "6px",
    backgroundColor: tokens.colorNeutralBackground1,
  },
  block: { borderLeftColor: tokens.colorStatusDangerBorderActive },
  warn: { borderLeftColor: tokens.colorStatusWarningBorderActive },
  info: { borderLeftColor: tokens.colorNeutralStroke1 },
  cardTitle: { fontSize: tokens.fontSizeBase300, fontWeight: tokens.fontWeightSemibold, margin: 0 },
  muted: { color: tokens.colorNeutralForeground3, fontSize: tokens.fontSizeBase200 },
  actions: { display: "flex", flexWrap: "wrap", columnGap: "8px", rowGap: "4px", alignItems: "center" },
  fixButton: { maxWidth: "100%", whiteSpace: "normal", textAlign: "start", height: "auto", minHeight: "32px" },
  explain: { margin: 0, display: "grid", rowGap: "4px" },
  dt: { fontWeight: tokens.fontWeightSemibold },
  dd: { margin: 0 },
  chips: { display: "flex", flexWrap: "wrap", gap: "6px", listStyleType: "none", margin: 0, padding: 0 },
  chip: {
    maxWidth: "100%",
    boxSizing: "border-box",
    border: `1px solid ${tokens.colorNeutralStroke2}`,
    borderRadius: tokens.borderRadiusLarge,
    padding: "4px 8px",
    display: "flex",
    flexDirection: "column",
    rowGap: "2px",
  },
  chipName: { overflow: "hidden", textOverflow: "ellipsis", whiteSpace: "nowrap", maxWidth: "270px", display: "block" },
  tags: { display: "flex", flexWrap: "wrap", gap: "4px" },
  tag: { fontSize: tokens.fontSizeBase100, backgroundColor: tokens.colorNeutralBackground3, borderRadius: "4px", padding: "0 4px" },
  danger: { backgroundColor: tokens.colorStatusDangerBackground2, color: tokens.colorStatusDangerForeground2 },
  footer: {
    display: "flex",
    flexWrap: "wrap",
    alignItems: "center",
    columnGap: "8px",
    rowGap: "4px",
    borderTop: `1px solid ${tokens.colorNeutralStroke2}`,
    paddingTop: "8px",
  },
});

export function Pane({ controller }: { controller: PaneController }) {
  const state = useSyncExternalStore(controller.subscribe, controller.getState);
  const styles = useStyles();
  const { locale } = state;
  return (
    <main className={styles.pane} lang={locale} aria-busy={state.checking} data-analyses={state.analyses}>
      <VerdictBanner state={state} />
      {state.notice && (
        <MessageBar intent={state.notice.intent} role="status">
          <MessageBarBody>{state.notice.text}</MessageBarBody>
        </MessageBar>
      )}
      {state.error && <ErrorState state={state} onRetry={() => void controller.retry()} />}
      {state.unusable.length > 0 && <p className={styles.muted}>{t(locale, "recipients.unusable", { names: state.unusable.join(", ") })}</p>}
      {state.report && !state.noRecipients && (
        <>
          <Notes state={state} />
          <Findings state={state} controller={controller} />
          <Recipients locale={locale} recipients={state.report.recipients ?? []} />
          <Crm state={state} controller={controller} />
        </>
      )}
      <Footer state={state} controller={controller} />
    </main>
  );
}

function verdictText(state: PaneState): string {
  const { report, locale } = state;
  if (!report) return t(locale, "status.waiting");
  const shown = report.findings.filter((f) => !state.dismissed.includes(f.code));
  if (report.verdict === "block") return t(locale, "verdict.block", { n: shown.filter((f) => f.severity === "block").length || 1 });
  if (report.verdict === "review") return t(locale, "verdict.review", { n: shown.filter((f) => f.severity !== "info").length || 1 });
  return t(locale, "verdict.ok");
}

function VerdictBanner({ state }: { state: PaneState }) {
  const styles = useStyles();
  const { locale } = state;
  if (state.noRecipients) {
    return (
      <MessageBar intent="info" data-verdict="none" role="status">
        <MessageBarBody>{t(locale, "empty.noRecipients")}</MessageBarBody>
      </MessageBar>
    );
  }
  const verdict = state.report?.verdict;
  const intent = verdict === "block" ? "error" : verdict === "review" ? "warning" : verdict === "ok" ? "success" : "info";
  // The last result stays while a new one is on its way: never an empty pane.
  return (
    <div className={styles.banner}>
      <MessageBar intent={intent} data-verdict={verdict ?? "pending"} role="status" aria-live="polite" style={{ flex: 1 }}>
        <MessageBarBody>{verdictText(state)}</MessageBarBody>
      </MessageBar>
      {state.checking && <Spinner size="tiny" aria-label={t(locale, "status.checking")} />}
    </div>
  );
}

function ErrorState({ state, onRetry }: { state: PaneState; onRetry: () => void }) {
  const { locale, error } = state;
  if (!error) return null;
  const line =
    error.code === "not_set_up"
      ? (error.message ?? t(locale, "error.auth")) // the server's reason: "sendwise is not set up for your organisation …"
      : error.code === "sign_in_failed"
        ? t(locale, "error.signIn", { message: error.message ?? "" })
        : error.kind === "auth"
          ? t(locale, "error.auth")
          : error.kind === "read"
            ? t(locale, "error.read")
            : error.kind === "http"
              ? t(locale, "error.http", { message: error.message ?? "" })
              : t(locale, "error.unreachable");
  const onSend = state.settings.onSend.unreachable === "hold" ? t(locale, "error.onSendHold") : t(locale, "error.onSendSend");
  return (
    <MessageBar intent="error" layout="multiline" data-error={error.kind}>
      <MessageBarBody>
        {line} {error.kind !== "read" && onSend}{" "}
        <Link as="button" onClick={onRetry}>
          {t(locale, "action.retry")}
        </Link>
      </MessageBarBody>
    </MessageBar>
  );
}

function Notes({ state }: { state: PaneState }) {
  const styles = useStyles();
  const { report, locale } = state;
  const lines: string[] = [];
  for (const n of report?.not_checked ?? []) lines.push(t(locale, "notChecked.line", { reason: n.reason || n.code }));
  for (const w of report?.policy_warnings ?? []) {
    lines.push(t(locale, "policy.line", { message: typeof w === "string" ? w : (w.message ?? w.code ?? "") }));
  }
  if (report?.crm?.status === "unavailable") lines.push(t(locale, "crm.unavailable", { message: report.crm.message ?? report.crm.source ?? "" }));
  if (!lines.length) return null;
  return (
    <ul className={styles.list} aria-label="notes">
      {lines.map((line, i) => (
        <li key={i} className={styles.muted} data-note>
          {line}
        </li>
      ))}
    </ul>
  );
}

function Findings({ state, controller }: { state: PaneState; controller: PaneController }) {
  const styles = useStyles();
  const [expanded, setExpanded] = useState(false);
  const headingId = useId();
  const findings = worstFirst((state.report?.findings ?? []).filter((f) => !state.dismissed.includes(f.code)));
  const { locale } = state;
  if (!findings.length) return null;
  const shown = expanded ? findings : findings.slice(0, VISIBLE_FINDINGS);
  return (
    <section className={styles.section} aria-labelledby={headingId}>
      <h2 className={styles.heading} id={headingId}>
        {t(locale, "finding.list")}
      </h2>
      <ul className={styles.list}>
        {shown.map((f) => (
          <FindingCard key={f.code} finding={f} state={state} controller={controller} />
        ))}
      </ul>
      {findings.length > VISIBLE_FINDINGS && (
        <Button appearance="subtle" onClick={() => setExpanded(!expanded)} aria-expanded={expanded}>
          {expanded ? t(locale, "finding.showFewer") : t(locale, "finding.showMore", { n: findings.length - VISIBLE_FINDINGS })}
        </Button>
      )}
    </section>
  );
}

export function fixLabel(locale: Locale, fix: FixKind): string {
  switch (fix.kind) {
    case "moveToBcc":
      return t(locale, "fix.moveToBcc", { n: fix.count });
    case "insert":
      return t(locale, "fix.insert", { text: fix.text.length > 60 ? `${fix.text.slice(0, 57)}…` : fix.text });
    case "optOut":
      return t(locale, "fix.optOut");
    case "postal":
      return t(locale, "fix.postal");
    case "removeMergeLine":
      return t(locale, "fix.removeMergeLine", { field: fix.field });
  }
}

function FindingCard({ finding, state, controller }: { finding: Finding; state: PaneState; controller: PaneController }) {
  const styles = useStyles();
  const [why, setWhy] = useState(false);
  const [dismissing, setDismissing] = useState(false);
  const [busy, setBusy] = useState(false);
  const { locale } = state;
  const fix = controller.fixFor(finding);
  const doc = state.docs[finding.code];
  const whyId = useId();
  const titleId = useId();
  const evidence = (finding.evidence ?? []).map((e) => e.text).filter(Boolean);
  return (
    <li className={`${styles.card} ${styles[finding.severity] ?? ""}`} data-code={finding.code} data-severity={finding.severity} aria-labelledby={titleId}>
      <h3 className={styles.cardTitle} id={titleId}>
        {finding.title}
      </h3>
      <p style={{ margin: 0 }}>{finding.message}</p>
      {evidence.length > 0 && (
        <p className={styles.muted} style={{ margin: 0 }}>
          {t(locale, "finding.seen")} {evidence.slice(0, 3).map((e) => `“${e}”`).join(", ")}
        </p>
      )}
      {!fix && finding.suggestion && <p style={{ margin: 0 }}>{finding.suggestion}</p>}
      <div className={styles.actions}>
        {fix && (
          <Button
            appearance="primary"
            size="small"
            className={styles.fixButton}
            disabled={busy}
            data-fix={fix.kind}
            onClick={async () => {
              setBusy(true);
              try {
                await controller.applyFix(fix);
              } finally {
                setBusy(false);
              }
            }}
          >
            {fixLabel(locale, fix)}
          </Button>
        )}
        <Button appearance="subtle" size="small" aria-expanded={why} aria-controls={whyId} onClick={() => setWhy(!why)}>
          {why ? t(locale, "finding.hideWhy") : t(locale, "finding.why")}
        </Button>
        {onSendPolicy(state.report, state.settings.onSend).override !== "never" && (
          <Button appearance="subtle" size="small" onClick={() => setDismissing(true)}>
            {t(locale, "finding.dismiss")}
          </Button>
        )}
      </div>
      {why && (
        <dl className={styles.explain} id={whyId} data-explain>
          {doc ? (
            <>
              <dt className={styles.dt}>{t(locale, "finding.what")}</dt>
              <dd className={styles.dd}>{doc.what}</dd>
              <dt className={styles.dt}>{t(locale, "finding.whyHeading")}</dt>
              <dd className={styles.dd}>{doc.why}</dd>
              <dt className={styles.dt}>{t(locale, "finding.instead")}</dt>
              <dd className={styles.dd}>{doc.instead}</dd>
            </>
          ) : (
            <>
              <dt className={styles.dt}>{t(locale, "finding.instead")}</dt>
              <dd className={styles.dd}>{finding.suggestion ?? finding.message}</dd>
            </>
          )}
        </dl>
      )}
      {dismissing && <DismissDialog finding={finding} locale={locale} controller={controller} onClose={() => setDismissing(false)} />}
    </li>
  );
}

const REASONS = ["dismiss.reason.notRelevant", "dismiss.reason.requested", "dismiss.reason.handled", "dismiss.reason.other"] as const;

function DismissDialog({ finding, locale, controller, onClose }: { finding: Finding; locale: Locale; controller: PaneController; onClose: () => void }) {
  const [choice, setChoice] = useState<string>(REASONS[0]);
  const [details, setDetails] = useState("");
  const [busy, setBusy] = useState(false);
  const reason = [choice === "dismiss.reason.other" ? "" : t(locale, choice as (typeof REASONS)[number]), details.trim()].filter(Boolean).join(": ");
  return (
    <Dialog open onOpenChange={(_, data) => !data.open && onClose()}>
      <DialogSurface aria-describedby={undefined} style={{ maxWidth: "300px" }}>
        <DialogBody>
          <DialogTitle>{t(locale, "dismiss.title", { title: finding.title })}</DialogTitle>
          <DialogContent>
            <p>{t(locale, "dismiss.prompt")}</p>
            <RadioGroup value={choice} onChange={(_, data) => setChoice(data.value)} aria-label={t(locale, "dismiss.details")}>
              {REASONS.map((r) => (
                <Radio key={r} value={r} label={t(locale, r)} />
              ))}
            </RadioGroup>
            <Field label={t(locale, "dismiss.details")}>
              <Textarea value={details} maxLength={400} onChange={(_, data) => setDetails(data.value)} />
            </Field>
          </DialogContent>
          <DialogActions>
            <Button appearance="secondary" onClick={onClose}>
              {t(locale, "dismiss.cancel")}
            </Button>
            <Button
              appearance="primary"
              disabled={busy || !reason}
              onClick={async () => {
                setBusy(true);
                const ok = await controller.dismiss(finding, reason.slice(0, 500));
                setBusy(false);
                if (ok) onClose();
              }}
            >
              {t(locale, "dismiss.confirm")}
            </Button>
          </DialogActions>
        </DialogBody>
      </DialogSurface>
    </Dialog>
  );
}

function consentOf(r: RecipientInfo): string | null {
  const c = r.crm?.consent;
  return typeof c === "string" ? c : (c?.status ?? null);
}

const KNOWN_TAG = (locale: Locale, prefix: string, value: string | null | undefined): string | null => {
  if (!value) return null;
  const key = `${prefix}.${value}`;
  try {
    const text = t(locale, key as Parameters<typeof t>[1]);
    return text ?? value;
  } catch {
    return value;
  }
};

function Recipients({ locale, recipients }: { locale: Locale; recipients: RecipientInfo[] }) {
  const styles = useStyles();
  const headingId = useId();
  const external = recipients.filter((r) => r.external);
  const internal = recipients.filter((r) => !r.external);
  if (!recipients.length) return null;
  return (
    <section className={styles.section} aria-labelledby={headingId}>
      <h2 className={styles.heading} id={headingId}>
        {t(locale, "recipients.heading")}
      </h2>
      <ul className={styles.chips}>
        {external.map((r) => {
          const name = r.crm?.name || r.email;
          const tags = [
            r.jurisdiction && r.jurisdiction !== "unknown" ? r.jurisdiction : null,
            r.crm?.stage ? KNOWN_TAG(locale, "stage", r.crm.stage) : KNOWN_TAG(locale, "relationship", r.relationship),
            KNOWN_TAG(locale, "consent", consentOf(r)),
          ].filter((x): x is string => !!x);
          return (
            <li key={r.email} className={styles.chip} data-recipient={r.email} data-field={r.field}>
              <Tooltip content={r.crm?.name ? `${r.crm.name} <${r.email}>` : r.email} relationship="description">
                <span className={styles.chipName} tabIndex={0}>
                  {name}
                </span>
              </Tooltip>
              <span className={styles.tags}>
                {tags.map((tag) => (
                  <span key={tag} className={styles.tag}>
                    {tag}
                  </span>
                ))}
                {r.crm?.unsubscribed && <span className={`${styles.tag} ${styles.danger}`}>{t(locale, "tag.unsubscribed")}</span>}
              </span>
            </li>
          );
        })}
      </ul>
      {internal.length > 0 && (
        <p className={styles.muted} style={{ margin: 0 }}>
          {t(locale, "recipients.internal", { n: internal.length, names: internal.map((r) => r.email).join(", ") })}
        </p>
      )}
    </section>
  );
}

function Crm({ state, controller }: { state: PaneState; controller: PaneController }) {
  const styles = useStyles();
  const headingId = useId();
  const { report, locale } = state;
  const external = (report?.recipients ?? []).filter((r) => r.external);
  const person = external.length === 1 ? external[0] : null;
  const suggestions: ContextSuggestion[] = (report?.context_suggestions ?? []).filter((s) => !person || !s.recipient || s.recipient === person.email);
  if (!person?.crm && !suggestions.length) return null;
  const crm = person?.crm;
  const last = crm?.last_exchange;
  return (
    <section className={styles.section} aria-labelledby={headingId} data-crm>
      <h2 className={styles.heading} id={headingId}>
        {t(locale, "crm.heading")}
      </h2>
      {crm && (
        <dl className={styles.explain}>
          {crm.company && (
            <>
              <dt className={styles.dt}>{t(locale, "crm.company")}</dt>
              <dd className={styles.dd}>{crm.company}</dd>
            </>
          )}
          {crm.stage && (
            <>
              <dt className={styles.dt}>{t(locale, "crm.stage")}</dt>
              <dd className={styles.dd}>{KNOWN_TAG(locale, "stage", crm.stage)}</dd>
            </>
          )}
          {crm.role && (
            <>
              <dt className={styles.dt}>{t(locale, "crm.role")}</dt>
              <dd className={styles.dd}>{crm.role}</dd>
            </>
          )}
          {last?.date && (
            <>
              <dt className={styles.dt}>{t(locale, "crm.lastExchange")}</dt>
              <dd className={styles.dd}>
                {last.direction === "out" ? t(locale, "crm.sent") : t(locale, "crm.received")} {last.date}
                {last.subject ? ` — ${last.subject}` : ""}
                {last.summary ? `: ${last.summary}` : ""}
              </dd>
            </>
          )}
        </dl>
      )}
      {suggestions.length > 0 && (
        <ul className={styles.list} aria-label={t(locale, "crm.suggestions")}>
          {suggestions.map((s, i) => (
            <li key={i} data-suggestion={s.kind}>
              <p style={{ margin: "0 0 4px" }}>{s.text}</p>
              {s.insert && (
                <Button size="small" onClick={() => void controller.insertSuggestion(s.insert!)}>
                  {t(locale, "crm.insert")}
                </Button>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function Footer({ state, controller }: { state: PaneState; controller: PaneController }) {
  const styles = useStyles();
  const { locale } = state;
  const [settingsOpen, setSettingsOpen] = useState(false);
  const [, tick] = useState(0);
  useEffect(() => {
    const timer = setInterval(() => tick((n) => n + 1), 5000);
    return () => clearInterval(timer);
  }, []);
  const seconds = state.analysedAt ? Math.max(0, (Date.now() - state.analysedAt) / 1000) : null;
  const other: Locale = locale === "zh-CN" ? "en" : "zh-CN";
  return (
    <footer className={styles.footer}>
      <Button
        appearance="subtle"
        size="small"
        lang={other}
        aria-label={t(locale, "footer.languageLabel")}
        data-switch-language={other}
        onClick={() => void controller.setLocale(other)}
      >
        {t(locale, "footer.language")}
      </Button>
      <Button appearance="subtle" size="small" onClick={() => setSettingsOpen(true)}>
        {t(locale, "footer.settings")}
      </Button>
      {seconds !== null && <span className={styles.muted}>{t(locale, "footer.analysed", { s: seconds < 10 ? seconds.toFixed(1) : Math.round(seconds) })}</span>}
      {settingsOpen && <SettingsDialog state={state} controller={controller} onClose={() => setSettingsOpen(false)} />}
    </footer>
  );
}

function SettingsDialog({ state, controller, onClose }: { state: PaneState; controller: PaneController; onClose: () => void }) {
  const { locale } = state;
  const [server, setServer] = useState(state.settings.server ?? "");
  const [apiKey, setApiKey] = useState(state.settings.apiKey ?? "");
  return (
    <Dialog open onOpenChange={(_, data) => !data.open && onClose()}>
      <DialogSurface aria-describedby={undefined} style={{ maxWidth: "300px" }}>
        <DialogBody>
          <DialogTitle>{t(locale, "settings.heading")}</DialogTitle>
          <DialogContent>
            <Field label={t(locale, "settings.server")} hint={t(locale, "settings.serverHint", { base: controller.server.baseUrl || location.origin })}>
              <Input type="url" value={server} onChange={(_, d) => setServer(d.value)} placeholder="https://" />
            </Field>
            <Field label={t(locale, "settings.apiKey")} hint={t(locale, "settings.apiKeyHint")}>
              <Input type="password" value={apiKey} onChange={(_, d) => setApiKey(d.value)} autoComplete="off" />
            </Field>
          </DialogContent>
          <DialogActions>
            <Button appearance="secondary" onClick={onClose}>
              {t(locale, "settings.close")}
            </Button>
            <Button
              appearance="primary"
              onClick={async () => {
                if (await controller.saveSettings(server, apiKey)) onClose();
              }}
            >
              {t(locale, "settings.save")}
            </Button>
          </DialogActions>
        </DialogBody>
      </DialogSurface>
    </Dialog>
  );
}
