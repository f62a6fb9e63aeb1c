// The one place where a draft in Outlook becomes an analysis request
// (docs/contract.md). The task pane and the on-send script both import it,
// so what is checked while writing is exactly what is checked on Send.

import type { Address, AnalysisRequest } from "./types";
import { call, CoercionType, type Callback, type EmailAddressDetailsLike, type ItemLike } from "./office";

export interface DraftData {
  from: Address | null;
  to: EmailAddressDetailsLike[];
  cc: EmailAddressDetailsLike[];
  bcc: EmailAddressDetailsLike[];
  subject: string;
  text: string | null;
  html: string | null;
  attachments: { name: string; size: number; contentType?: string; isInline?: boolean }[];
  composeType: string | null; // newMail | reply | forward; null when the host cannot say
}

// Deliberately loose: the server validates addresses properly. This only
// keeps out what Outlook shows for unresolved names and groups, which the
// engine would reject as a whole request.
const ADDRESS = /^[^\s@<>(),;:"]+@[^\s@<>(),;:"]+\.[^\s@<>(),;:".]{2,}$/;

export function isAddress(value: string | undefined | null): value is string {
  return !!value && ADDRESS.test(value.trim());
}

/** Reads everything the contract needs from the item being composed. The
 * optional parts (sender, attachments, compose type) fall back quietly on
 * hosts without those APIs; a failure of the required ones rejects. */
export async function readDraft(
  item: ItemLike,
  userProfile?: { displayName?: string; emailAddress?: string },
): Promise<DraftData> {
  const [to, cc, bcc, subject, bodyType, composeType, from, attachments] = await Promise.all([
    call<EmailAddressDetailsLike[]>("to.getAsync", (cb) => item.to.getAsync(cb)),
    call<EmailAddressDetailsLike[]>("cc.getAsync", (cb) => item.cc.getAsync(cb)),
    call<EmailAddressDetailsLike[]>("bcc.getAsync", (cb) => item.bcc.getAsync(cb)),
    call<string>("subject.getAsync", (cb) => item.subject.getAsync(cb)),
    call<string>("body.getTypeAsync", (cb) => item.body.getTypeAsync(cb)).catch(() => "text"),
    optional<{ composeType: string }>(item.getComposeTypeAsync && ((cb) => item.getComposeTypeAsync!(cb))).then(
      (v) => v?.composeType ?? null,
    ),
    optional<EmailAddressDetailsLike>(item.from && ((cb) => item.from!.getAsync(cb))),
    optional<DraftData["attachments"]>(item.getAttachmentsAsync && ((cb) => item.getAttachmentsAsync!(cb))),
  ]);
  const text = await readBody(item, CoercionType.Text, composeType);
  const html = bodyType === "html" ? await readBody(item, CoercionType.Html, composeType) : null;
  const sender = from?.emailAddress ? from : userProfile;
  return {
    from: sender?.emailAddress ? { name: sender.displayName || undefined, email: sender.emailAddress } : null,
    to: to ?? [],
    cc: cc ?? [],
    bcc: bcc ?? [],
    subject: subject ?? "",
    text,
    html,
    attachments: attachments ?? [],
    composeType,
  };
}

export function readBody(item: ItemLike, coercion: string, composeType: string | null): Promise<string> {
  // In a reply, web and new Outlook return the whole quoted thread unless
  // asked for the body as the user sees it; the thread is not what the
  // user is writing now.
  const options = composeType === "reply" || composeType === "forward" ? { bodyMode: "hostConfig" } : {};
  return call<string>(`body.getAsync(${coercion})`, (cb) => item.body.getAsync(coercion, options, cb));
}

function optional<T>(start: ((cb: Callback<T>) => void) | undefined | false): Promise<T | null> {
  if (!start) return Promise.resolve(null);
  return call<T>("optional", start).catch(() => null);
}

function toAddress(r: EmailAddressDetailsLike): Address | null {
  if (!isAddress(r.emailAddress)) return null;
  const name = (r.displayName ?? "").trim();
  const email = r.emailAddress.trim();
  return name && name.toLowerCase() !== email.toLowerCase() ? { name, email } : { email };
}

/** Recipients Outlook shows without a usable address (unresolved names,
 * contact groups): the pane says they were not checked. */
export function unusableRecipients(draft: DraftData): string[] {
  return [...draft.to, ...draft.cc, ...draft.bcc]
    .filter((r) => !isAddress(r.emailAddress))
    .map((r) => (r.displayName || r.emailAddress || "?").trim());
}

/** The contract request for `draft`, with messages in `locale`. */
export function toRequest(draft: DraftData, locale: string): AnalysisRequest {
  const list = (rs: EmailAddressDetailsLike[]) => rs.map(toAddress).filter((a): a is Address => a !== null);
  const request: AnalysisRequest = {
    draft: {
      to: list(draft.to),
      cc: list(draft.cc),
      bcc: list(draft.bcc),
      subject: draft.subject,
      body: { text: draft.text, html: draft.html },
      attachments: draft.attachments
        .filter((a) => !a.isInline)
        .map((a) => ({ name: a.name, size: a.size, content_type: a.contentType || "application/octet-stream" })),
    },
    context: { locale },
  };
  if (draft.from && isAddress(draft.from.email)) request.draft.from = draft.from;
  if (draft.composeType) {
    request.draft.thread = {
      is_reply: draft.composeType === "reply",
      previous_messages: draft.composeType === "newMail" ? 0 : 1,
    };
  }
  return request;
}

/** What changed matters for re-analysis: a cheap key of the request. */
export function requestKey(request: AnalysisRequest): string {
  return JSON.stringify(request);
}
