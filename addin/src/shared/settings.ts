// What the add-in keeps in the mailbox's roaming settings (they follow the
// user to every Outlook client): the server, the organisation's API key
// (the fallback when signing in with Microsoft is not possible: see
// signin.ts), the language chosen in the pane, and the last
// on-send policy seen, so the on-send check knows the organisation's
// fail-open or fail-closed choice when the server cannot be reached.

import type { OnSendPolicy } from "./types";
import { DEFAULT_ON_SEND, onSendPolicy } from "./types";
import { call, type RoamingSettingsLike } from "./office";

const KEYS = { server: "sendwise.server", apiKey: "sendwise.apiKey", locale: "sendwise.locale", onSend: "sendwise.onSend" };

export interface Settings {
  server: string | null; // null: the server that serves the add-in
  apiKey: string | null;
  locale: string | null; // null: Outlook's display language
  onSend: OnSendPolicy;
}

function str(value: unknown): string | null {
  return typeof value === "string" && value.trim() ? value.trim() : null;
}

export function loadSettings(rs: RoamingSettingsLike | null | undefined): Settings {
  if (!rs) return { server: null, apiKey: null, locale: null, onSend: DEFAULT_ON_SEND };
  const read = (k: string) => {
    try {
      return rs.get(k);
    } catch {
      return undefined;
    }
  };
  const cached = read(KEYS.onSend);
  return {
    server: str(read(KEYS.server)),
    apiKey: str(read(KEYS.apiKey)),
    locale: str(read(KEYS.locale)),
    onSend: onSendPolicy({ on_send: typeof cached === "object" && cached ? (cached as Partial<OnSendPolicy>) : undefined }),
  };
}

/** Stores the given settings (null removes one) and saves them to the mailbox. */
export function saveSettings(rs: RoamingSettingsLike, patch: Partial<Settings>): Promise<void> {
  for (const [name, key] of Object.entries(KEYS) as [keyof Settings, string][]) {
    if (!(name in patch)) continue;
    const value = patch[name];
    if (value === null || value === undefined || value === "") rs.remove(key);
    else rs.set(key, value);
  }
  return call<void>("roamingSettings.saveAsync", (cb) => rs.saveAsync(cb));
}

/** Remembers the organisation's on-send policy when it changed; never throws. */
export function rememberOnSend(rs: RoamingSettingsLike | null | undefined, policy: OnSendPolicy): Promise<void> {
  if (!rs) return Promise.resolve();
  const current = loadSettings(rs).onSend;
  if (current.review === policy.review && current.unreachable === policy.unreachable && current.override === policy.override) return Promise.resolve();
  return saveSettings(rs, { onSend: policy }).catch(() => undefined);
}

export function serverConfig(settings: Settings, defaultBase: string): { baseUrl: string; apiKey: string | null } {
  return { baseUrl: (settings.server ?? defaultBase).replace(/\/+$/, ""), apiKey: settings.apiKey };
}
