// The part of Office.js the add-in uses, typed structurally so that the
// real Office object and the playground's stand-in both fit, plus a
// promise wrapper for its callback style.

export interface AsyncResultLike<T> {
  status: "succeeded" | "failed" | string;
  value: T;
  error?: { code?: number | string; name?: string; message?: string } | null;
}

export type Callback<T> = (result: AsyncResultLike<T>) => void;

export interface EmailAddressDetailsLike {
  displayName?: string;
  emailAddress?: string;
  recipientType?: string;
}

export interface RecipientsLike {
  getAsync(callback: Callback<EmailAddressDetailsLike[]>): void;
  setAsync(recipients: (string | { displayName?: string; emailAddress: string })[], callback: Callback<void>): void;
  addAsync(recipients: (string | { displayName?: string; emailAddress: string })[], callback: Callback<void>): void;
}

export interface BodyLike {
  getAsync(coercionType: string, options: object, callback: Callback<string>): void;
  getTypeAsync(callback: Callback<string>): void;
  setAsync(data: string, options: object, callback: Callback<void>): void;
  setSelectedDataAsync(data: string, options: object, callback: Callback<void>): void;
}

export interface ItemLike {
  to: RecipientsLike;
  cc: RecipientsLike;
  bcc: RecipientsLike;
  subject: { getAsync(callback: Callback<string>): void };
  body: BodyLike;
  from?: { getAsync(callback: Callback<EmailAddressDetailsLike>): void };
  conversationId?: string | null;
  getAttachmentsAsync?(callback: Callback<{ name: string; size: number; contentType?: string; isInline?: boolean }[]>): void;
  getComposeTypeAsync?(callback: Callback<{ composeType: string; coercionType?: string }>): void;
  getSelectedDataAsync?(coercionType: string, callback: Callback<{ data: string; sourceProperty: string }>): void;
  setSelectedDataAsync?(data: string, options: object, callback: Callback<void>): void;
  addHandlerAsync?(eventType: string, handler: (event?: unknown) => void, callback?: Callback<void>): void;
}

export interface RoamingSettingsLike {
  get(name: string): unknown;
  set(name: string, value: unknown): void;
  remove(name: string): void;
  saveAsync(callback?: Callback<void>): void;
}

export interface OfficeLike {
  context: {
    displayLanguage?: string;
    roamingSettings: RoamingSettingsLike;
    mailbox: {
      item: ItemLike | null;
      userProfile?: { displayName?: string; emailAddress?: string };
    };
    requirements?: { isSetSupported(name: string, version?: string): boolean };
  };
  actions?: { associate(name: string, handler: (event: never) => void): void };
  MailboxEnums?: { SendModeOverride?: { PromptUser?: string } };
}

/** Failed Office.js call: the `error` of its AsyncResult. */
export class OfficeCallError extends Error {
  readonly code: number | string | undefined;
  constructor(what: string, error: AsyncResultLike<unknown>["error"]) {
    super(`${what} failed: ${error?.message ?? error?.name ?? "unknown error"}`);
    this.name = "OfficeCallError";
    this.code = error?.code;
  }
}

/** Runs an Office.js async method and settles with its value or its error. */
export function call<T>(what: string, start: (callback: Callback<T>) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    try {
      start((result) => {
        if (result && result.status === "succeeded") resolve(result.value);
        else reject(new OfficeCallError(what, result?.error));
      });
    } catch (err) {
      // Some hosts throw synchronously for an API they lack.
      reject(err instanceof Error ? err : new Error(String(err)));
    }
  });
}

export const CoercionType = { Text: "text", Html: "html" } as const;
export const RECIPIENTS_CHANGED = "olkRecipientsChanged";
