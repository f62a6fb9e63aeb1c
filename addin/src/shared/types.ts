// The analysis contract (docs/contract.md) as the add-in reads it. Fields
// the add-in does not use are left out; unknown ones are ignored.

export type Verdict = "ok" | "review" | "block";
export type Severity = "info" | "warn" | "block";

export interface Address {
  name?: string;
  email: string;
}

export interface Evidence {
  field: string;
  start?: number;
  end?: number;
  text: string;
}

export interface Finding {
  code: string;
  severity: Severity;
  title: string;
  message: string;
  suggestion?: string;
  evidence?: Evidence[];
  recipients?: string[];
}

export interface CrmInfo {
  name?: string;
  company?: string;
  role?: string;
  industry?: string;
  stage?: string;
  consent?: string | { status?: string };
  unsubscribed?: boolean;
  last_interaction?: string;
  last_exchange?: { date?: string; direction?: string; subject?: string; summary?: string };
  open_item?: unknown;
}

export interface RecipientInfo {
  email: string;
  external: boolean;
  jurisdiction?: string | null;
  relationship?: string;
  field?: "to" | "cc" | "bcc";
  kind?: string | null;
  crm?: CrmInfo | null;
}

export interface ContextSuggestion {
  kind: string;
  text: string;
  insert?: string;
  recipient?: string;
}

export type ReviewPolicy = "send" | "hold_once";
export type UnreachablePolicy = "send" | "hold";
export type OverridePolicy = "with_reason" | "never";

export interface OnSendPolicy {
  review: ReviewPolicy;
  unreachable: UnreachablePolicy;
  override: OverridePolicy;
}

export interface Report {
  contract?: string;
  verdict: Verdict;
  findings: Finding[];
  recipients?: RecipientInfo[];
  context_suggestions?: ContextSuggestion[];
  elapsed_ms?: number;
  on_send?: Partial<OnSendPolicy>;
  not_checked?: { code: string; reason: string }[];
  policy_warnings?: (string | { code?: string; message?: string })[];
  crm?: { status: string; source?: string; synced_at?: string; message?: string };
}

export interface AnalysisRequest {
  draft: {
    from?: Address;
    to: Address[];
    cc: Address[];
    bcc: Address[];
    subject: string;
    body: { text: string | null; html: string | null };
    attachments: { name: string; size: number; content_type: string }[];
    thread?: { is_reply: boolean; previous_messages: number };
  };
  context: { locale: string };
}

export const DEFAULT_ON_SEND: OnSendPolicy = { review: "send", unreachable: "send", override: "with_reason" };

const SEVERITY_RANK: Record<string, number> = { block: 3, warn: 2, info: 1 };

/** Findings worst first; equal severities keep the engine's order. */
export function worstFirst(findings: Finding[]): Finding[] {
  return findings
    .map((f, i) => [f, i] as const)
    .sort(([a, i], [b, j]) => (SEVERITY_RANK[b.severity] ?? 0) - (SEVERITY_RANK[a.severity] ?? 0) || i - j)
    .map(([f]) => f);
}

/** The organisation's on-send policy from a report, with the defaults for what it leaves out. */
export function onSendPolicy(report: Pick<Report, "on_send"> | null | undefined, fallback = DEFAULT_ON_SEND): OnSendPolicy {
  const given = report?.on_send ?? {};
  return {
    review: given.review === "hold_once" || given.review === "send" ? given.review : fallback.review,
    unreachable: given.unreachable === "hold" || given.unreachable === "send" ? given.unreachable : fallback.unreachable,
    override: given.override === "never" || given.override === "with_reason" ? given.override : fallback.override,
  };
}
