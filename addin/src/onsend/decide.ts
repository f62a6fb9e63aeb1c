// What the on-send check tells Outlook, as a pure function of what it
// learnt: the report, or why there is none, and the organisation's policy.

import type { FailureKind } from "../shared/api";
import { listJoin, t, type Locale } from "../shared/i18n";
import type { Finding, OnSendPolicy, Report } from "../shared/types";
import { worstFirst } from "../shared/types";

/** The ribbon button that opens the task pane (manifest.xml). */
export const PANE_COMMAND_ID = "sendwisePaneButton";
export const MAX_ERROR_MESSAGE = 500; // Outlook's limit for errorMessage
export const MAX_CANCEL_LABEL = 20;
export const PROMPT_USER = "promptUser"; // Office.MailboxEnums.SendModeOverride.PromptUser

export type Outcome = { kind: "report"; report: Report } | { kind: "unchecked"; reason: FailureKind | "read" };

export interface CompletedOptions {
  allowEvent: boolean;
  errorMessage?: string;
  cancelLabel?: string;
  commandId?: string;
  sendModeOverride?: string;
}

export function decide(outcome: Outcome, policy: OnSendPolicy, locale: Locale, promptUser = PROMPT_USER): CompletedOptions {
  if (outcome.kind === "unchecked") {
    if (policy.unreachable === "send") return { allowEvent: true };
    const reason = t(locale, `onsend.reason.${outcome.reason}`);
    return hold(t(locale, "onsend.unreachable", { reason }), locale);
  }
  const { report } = outcome;
  if (report.verdict === "block") {
    return hold(summary(locale, "onsend.block", report.findings, "block"), locale);
  }
  if (report.verdict === "review" && policy.review === "hold_once") {
    // Outlook shows the reasons with "Send anyway": held once, the user decides.
    return { ...hold(summary(locale, "onsend.review", report.findings, "warn"), locale), sendModeOverride: promptUser };
  }
  return { allowEvent: true };
}

function hold(message: string, locale: Locale): CompletedOptions {
  return {
    allowEvent: false,
    errorMessage: clip(message, MAX_ERROR_MESSAGE),
    cancelLabel: clip(t(locale, "onsend.open"), MAX_CANCEL_LABEL),
    commandId: PANE_COMMAND_ID,
  };
}

/** Three short lines: the verdict, the worst finding's message and what to
 * do, then the titles of the others that reach `floor`. */
function summary(locale: Locale, headline: "onsend.block" | "onsend.review", findings: Finding[], floor: "block" | "warn"): string {
  const serious = worstFirst(findings).filter((f) => f.severity === "block" || (floor === "warn" && f.severity === "warn"));
  const [first, ...rest] = serious;
  const lines = [t(locale, headline)];
  if (first) lines.push([first.message || first.title, first.suggestion].filter(Boolean).join(" "));
  if (rest.length) lines.push(t(locale, "onsend.also", { titles: listJoin(locale, rest.map((f) => f.title)) }));
  return lines.join("\n");
}

export function clip(text: string, limit: number): string {
  const chars = Array.from(text); // never cut a surrogate pair in half
  return chars.length <= limit ? text : chars.slice(0, limit - 1).join("") + "…";
}
