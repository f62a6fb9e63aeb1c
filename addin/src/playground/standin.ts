// A small stand-in for Office.js in an ordinary browser: a compose item
// whose async methods answer through callbacks on a later turn with
// AsyncResult objects, as Outlook's do, so the pane runs unchanged. It can
// be told to fail a method (`failNext`) or to answer slowly (`delayMs`),
// for tests and for seeing the pane's error states.

import type { AsyncResultLike, Callback, EmailAddressDetailsLike, ItemLike, OfficeLike, RoamingSettingsLike } from "../shared/office";
import { RECIPIENTS_CHANGED } from "../shared/office";

export interface ComposeFields {
  from: string;
  to: string;
  cc: string;
  bcc: string;
  subject: string;
  body: string;
}

type Field = "to" | "cc" | "bcc";

export interface Failure {
  code?: number;
  name?: string;
  message?: string;
}

/** "Anna Schmidt <anna@x.de>; bob@y.com" -> recipients. */
export function parseAddresses(text: string): EmailAddressDetailsLike[] {
  return text
    .split(/[,;\n]/)
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => {
      const m = part.match(/^(.*?)\s*<([^>]+)>$/);
      const displayName = m ? m[1].replace(/^"|"$/g, "").trim() : "";
      const emailAddress = (m ? m[2] : part).trim();
      return { displayName: displayName || emailAddress, emailAddress, recipientType: "externalUser" };
    });
}

export function formatAddresses(list: EmailAddressDetailsLike[]): string {
  return list
    .map((r) => (r.displayName && r.displayName !== r.emailAddress ? `${r.displayName} <${r.emailAddress}>` : (r.emailAddress ?? "")))
    .join("; ");
}

export class StandIn {
  fields: ComposeFields;
  delayMs = 5;
  composeType = "newMail";
  /** Where the body's cursor/selection was last (the pane takes focus away). */
  selection: { start: number; end: number } | null = null;
  private failures = new Map<string, Failure>();
  private recipientHandlers: ((event?: unknown) => void)[] = [];
  private listeners = new Set<() => void>();
  readonly office: OfficeLike;
  readonly calls: string[] = [];

  constructor(initial: Partial<ComposeFields> = {}, displayLanguage = "en-US", storage: Storage | null = null) {
    this.fields = { from: "", to: "", cc: "", bcc: "", subject: "", body: "", ...initial };
    this.office = {
      context: {
        displayLanguage,
        roamingSettings: new RoamingSettings(storage),
        mailbox: { item: this.makeItem() },
      },
      MailboxEnums: { SendModeOverride: { PromptUser: "promptUser" } },
    };
    const self = this;
    // Like Outlook's, the profile is the sender: here, the From field.
    Object.defineProperty(this.office.context.mailbox, "userProfile", {
      get() {
        const from = parseAddresses(self.fields.from)[0];
        return from ? { displayName: from.displayName, emailAddress: from.emailAddress } : undefined;
      },
    });
  }

  /** The next call of `method` (e.g. "body.getAsync") fails with `error`. */
  failNext(method: string, error: Failure = {}): void {
    this.failures.set(method, { code: 9002, name: "InternalServerError", message: "The operation failed.", ...error });
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  setComposeType(composeType: string): void {
    this.composeType = composeType;
    this.fields = { ...this.fields }; // a new snapshot, so the form re-renders
    this.notify();
  }

  /** The form changed a field (the user typed). */
  update(patch: Partial<ComposeFields>): void {
    const before = this.recipientKey();
    this.fields = { ...this.fields, ...patch };
    this.notify();
    if (this.recipientKey() !== before) this.fireRecipientsChanged();
  }

  private recipientKey(): string {
    return (["to", "cc", "bcc"] as Field[]).map((f) => JSON.stringify(parseAddresses(this.fields[f]).map((r) => r.emailAddress))).join("|");
  }

  private notify(): void {
    this.listeners.forEach((l) => l());
  }

  private fireRecipientsChanged(): void {
    for (const handler of this.recipientHandlers) setTimeout(() => handler({ type: RECIPIENTS_CHANGED }), this.delayMs);
  }

  /** Answers on a later turn, as Office.js does, or fails if told to. */
  private answer<T>(method: string, callback: Callback<T> | undefined, compute: () => T): void {
    this.calls.push(method);
    const failure = this.failures.get(method);
    if (failure) this.failures.delete(method);
    setTimeout(() => {
      let result: AsyncResultLike<T>;
      if (failure) {
        result = { status: "failed", value: undefined as T, error: failure };
      } else {
        try {
          result = { status: "succeeded", value: compute(), error: null };
        } catch (err) {
          result = { status: "failed", value: undefined as T, error: { code: 9041, name: "GenericResponseError", message: String(err) } };
        }
      }
      callback?.(result);
    }, this.delayMs);
  }

  private recipients(field: Field) {
    const self = this;
    const asDetails = (list: (string | { displayName?: string; emailAddress: string })[]) =>
      list.map((r) => (typeof r === "string" ? { displayName: r, emailAddress: r } : { displayName: r.displayName || r.emailAddress, emailAddress: r.emailAddress }));
    return {
      getAsync(callback: Callback<EmailAddressDetailsLike[]>) {
        self.answer(`${field}.getAsync`, callback, () => parseAddresses(self.fields[field]));
      },
      setAsync(list: (string | { displayName?: string; emailAddress: string })[], callback: Callback<void>) {
        self.answer(`${field}.setAsync`, callback, () => {
          self.update({ [field]: formatAddresses(asDetails(list)) });
        });
      },
      addAsync(list: (string | { displayName?: string; emailAddress: string })[], callback: Callback<void>) {
        self.answer(`${field}.addAsync`, callback, () => {
          self.update({ [field]: formatAddresses([...parseAddresses(self.fields[field]), ...asDetails(list)]) });
        });
      },
    };
  }

  private makeItem(): ItemLike {
    const self = this;
    return {
      to: this.recipients("to"),
      cc: this.recipients("cc"),
      bcc: this.recipients("bcc"),
      subject: {
        getAsync(callback: Callback<string>) {
          self.answer("subject.getAsync", callback, () => self.fields.subject);
        },
      },
      from: {
        getAsync(callback: Callback<EmailAddressDetailsLike>) {
          self.answer("from.getAsync", callback, () => parseAddresses(self.fields.from)[0] ?? { displayName: "", emailAddress: "" });
        },
      },
      body: {
        getAsync(coercionType: string, _options: object, callback: Callback<string>) {
          self.answer("body.getAsync", callback, () => (coercionType === "html" ? textToHtml(self.fields.body) : self.fields.body));
        },
        getTypeAsync(callback: Callback<string>) {
          self.answer("body.getTypeAsync", callback, () => "text");
        },
        setAsync(data: string, _options: object, callback: Callback<void>) {
          self.answer("body.setAsync", callback, () => self.update({ body: data }));
        },
        setSelectedDataAsync(data: string, _options: object, callback: Callback<void>) {
          self.answer("body.setSelectedDataAsync", callback, () => self.replaceSelection(data));
        },
      },
      getAttachmentsAsync(callback) {
        self.answer("getAttachmentsAsync", callback, () => []);
      },
      getComposeTypeAsync(callback) {
        self.answer("getComposeTypeAsync", callback, () => ({ composeType: self.composeType, coercionType: "text" }));
      },
      getSelectedDataAsync(_coercionType: string, callback) {
        self.answer("getSelectedDataAsync", callback, () => {
          const sel = self.selection ?? { start: 0, end: 0 };
          return { data: self.fields.body.slice(sel.start, sel.end), sourceProperty: "body" };
        });
      },
      setSelectedDataAsync(data: string, _options: object, callback) {
        self.answer("setSelectedDataAsync", callback, () => self.replaceSelection(data));
      },
      addHandlerAsync(eventType: string, handler: (event?: unknown) => void, callback?: Callback<void>) {
        self.answer("addHandlerAsync", callback, () => {
          if (eventType !== RECIPIENTS_CHANGED) throw new Error(`unsupported event ${eventType}`);
          self.recipientHandlers.push(handler);
        });
      },
    };
  }

  /** Like Outlook: replaces the selection, or inserts at the top when the body never had a cursor. */
  private replaceSelection(data: string): void {
    const sel = this.selection ?? { start: 0, end: 0 };
    const body = this.fields.body;
    this.selection = { start: sel.start + data.length, end: sel.start + data.length };
    this.update({ body: body.slice(0, sel.start) + data + body.slice(sel.end) });
  }
}

function textToHtml(text: string): string {
  const escaped = text.replace(/[&<>]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;" })[c]!);
  return `<html><body>${escaped
    .split(/\n{2,}/)
    .map((p) => `<p>${p.replace(/\n/g, "<br>")}</p>`)
    .join("")}</body></html>`;
}

/** Roaming settings kept in localStorage (or in memory), saved asynchronously. */
class RoamingSettings implements RoamingSettingsLike {
  private values: Record<string, unknown>;
  constructor(private readonly storage: Storage | null) {
    let stored: Record<string, unknown> = {};
    try {
      stored = JSON.parse(storage?.getItem("sendwise.roaming") ?? "{}");
    } catch {
      stored = {};
    }
    this.values = stored;
  }
  get(name: string): unknown {
    return this.values[name];
  }
  set(name: string, value: unknown): void {
    this.values[name] = value;
  }
  remove(name: string): void {
    delete this.values[name];
  }
  saveAsync(callback?: Callback<void>): void {
    setTimeout(() => {
      this.storage?.setItem("sendwise.roaming", JSON.stringify(this.values));
      callback?.({ status: "succeeded", value: undefined, error: null });
    }, 1);
  }
}
