// One-click fixes, done through Office.js as ordinary edits of the draft:
// the user sees them happen and can change them back like any edit.

import { call, CoercionType, type EmailAddressDetailsLike, type ItemLike } from "../shared/office";
import type { Address, Finding, Report } from "../shared/types";

type Recipient = { displayName?: string; emailAddress: string };

const lower = (s: string | undefined) => (s ?? "").trim().toLowerCase();

/** External recipients the report saw in To or Cc. */
export function exposedRecipients(report: Report): string[] {
  return (report.recipients ?? [])
    .filter((r) => r.external && (r.field === undefined || r.field === "to" || r.field === "cc"))
    .map((r) => lower(r.email));
}

/** Moves the external To/Cc recipients to Bcc. Bcc is filled first and
 * To/Cc emptied after, so a failure half-way never loses a recipient. When
 * To would be empty, the sender goes there, as for any Bcc mailing.
 * Returns how many recipients moved. */
export async function moveExternalToBcc(item: ItemLike, external: string[], sender: Address | null): Promise<number> {
  const wanted = new Set(external.map(lower));
  const [to, cc, bcc] = await Promise.all([
    call<EmailAddressDetailsLike[]>("to.getAsync", (cb) => item.to.getAsync(cb)),
    call<EmailAddressDetailsLike[]>("cc.getAsync", (cb) => item.cc.getAsync(cb)),
    call<EmailAddressDetailsLike[]>("bcc.getAsync", (cb) => item.bcc.getAsync(cb)),
  ]);
  const moving = [...to, ...cc].filter((r) => wanted.has(lower(r.emailAddress)));
  if (!moving.length) return 0;
  const inBcc = new Set(bcc.map((r) => lower(r.emailAddress)));
  const toAdd = dedupe(moving).filter((r) => !inBcc.has(lower(r.emailAddress)));
  if (toAdd.length) await call<void>("bcc.addAsync", (cb) => item.bcc.addAsync(toAdd.map(plain), cb));
  const keepTo = to.filter((r) => !wanted.has(lower(r.emailAddress)));
  const keepCc = cc.filter((r) => !wanted.has(lower(r.emailAddress)));
  const newTo = keepTo.length || !sender ? keepTo.map(plain) : [{ displayName: sender.name ?? "", emailAddress: sender.email }];
  await call<void>("to.setAsync", (cb) => item.to.setAsync(newTo, cb));
  if (keepCc.length !== cc.length) await call<void>("cc.setAsync", (cb) => item.cc.setAsync(keepCc.map(plain), cb));
  return dedupe(moving).length;
}

function plain(r: EmailAddressDetailsLike): Recipient {
  return { displayName: r.displayName ?? "", emailAddress: (r.emailAddress ?? "").trim() };
}

function dedupe(rs: EmailAddressDetailsLike[]): EmailAddressDetailsLike[] {
  const seen = new Set<string>();
  return rs.filter((r) => {
    const key = lower(r.emailAddress);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

async function bodyIsHtml(item: ItemLike): Promise<boolean> {
  return (await call<string>("body.getTypeAsync", (cb) => item.body.getTypeAsync(cb)).catch(() => "text")) === "html";
}

/** Inserts a line at the cursor, or at the top when the body has no cursor. */
export async function insertAtCursor(item: ItemLike, text: string): Promise<void> {
  const html = await bodyIsHtml(item);
  const data = html ? `<p>${escapeHtml(text)}</p>` : `${text}\n`;
  const coercionType = html ? CoercionType.Html : CoercionType.Text;
  await call<void>("body.setSelectedDataAsync", (cb) => item.body.setSelectedDataAsync(data, { coercionType }, cb));
}

/** Adds a line at the end of a new message; in a reply or forward the end
 * is the quoted thread, so there it goes where the cursor is. */
export async function appendLine(item: ItemLike, line: string, composeType: string | null): Promise<void> {
  if (composeType === "reply" || composeType === "forward") return insertAtCursor(item, line);
  const html = await bodyIsHtml(item);
  const coercionType = html ? CoercionType.Html : CoercionType.Text;
  const body = await call<string>("body.getAsync", (cb) => item.body.getAsync(coercionType, {}, cb));
  let updated: string;
  if (html) {
    const paragraph = `<p>${escapeHtml(line)}</p>`;
    const close = body.search(/<\/body>/i);
    updated = close >= 0 ? body.slice(0, close) + paragraph + body.slice(close) : body + paragraph;
  } else {
    updated = `${body.replace(/\s+$/, "")}\n\n${line}\n`;
  }
  await call<void>("body.setAsync", (cb) => item.body.setAsync(updated, { coercionType }, cb));
}

export type RemoveResult = "removed" | "select-first";

/** Removes the lines of the current selection that contain `placeholder`
 * (an unfilled merge field). Office.js cannot find text in the body, so
 * the user selects the line and sendwise checks it is the right one. */
export async function removeSelectedLine(item: ItemLike, placeholder: string): Promise<RemoveResult> {
  if (!item.getSelectedDataAsync || !item.setSelectedDataAsync) return "select-first";
  const selected = await call<{ data: string; sourceProperty: string }>("getSelectedDataAsync", (cb) =>
    item.getSelectedDataAsync!(CoercionType.Text, cb),
  );
  if (!selected?.data || !selected.data.includes(placeholder)) return "select-first";
  const kept = selected.data
    .split(/\r?\n/)
    .filter((line) => !line.includes(placeholder))
    .join("\n");
  await call<void>("setSelectedDataAsync", (cb) => item.setSelectedDataAsync!(kept, { coercionType: CoercionType.Text }, cb));
  return "removed";
}

/** The one-click fix a finding offers, if Office.js can do it. */
export type FixKind =
  | { kind: "moveToBcc"; count: number; emails: string[] }
  | { kind: "insert"; text: string }
  | { kind: "optOut" }
  | { kind: "postal"; address: string }
  | { kind: "removeMergeLine"; field: string };

export function fixFor(finding: Finding, report: Report, postalAddress: string | null): FixKind | null {
  switch (finding.code) {
    case "mass.exposed_recipients": {
      const emails = exposedRecipients(report);
      return emails.length ? { kind: "moveToBcc", count: emails.length, emails } : null;
    }
    case "personalization.generic_greeting":
    case "personalization.name_mismatch": {
      const greeting = greetingFor(report);
      return greeting ? { kind: "insert", text: greeting } : null;
    }
    case "personalization.missing":
    case "relationship.cold_contact": {
      const line = (report.context_suggestions ?? []).find((s) => s.insert)?.insert;
      return line ? { kind: "insert", text: line } : null;
    }
    case "compliance.unsubscribe_missing":
      return { kind: "optOut" };
    case "compliance.postal_address_missing":
      return postalAddress ? { kind: "postal", address: postalAddress } : null;
    case "personalization.merge_field_unfilled": {
      const field = finding.evidence?.find((e) => e.text)?.text;
      return field ? { kind: "removeMergeLine", field: field.trim() } : null;
    }
    default:
      return null;
  }
}

/** "Dear Anna," when the mail goes to one external person whose name is known. */
export function greetingFor(report: Report): string | null {
  const external = (report.recipients ?? []).filter((r) => r.external && r.field !== "bcc");
  if (external.length !== 1) return null;
  const name = external[0].crm?.name?.trim();
  if (!name) return null;
  return `Dear ${name.split(/\s+/)[0]},`;
}
