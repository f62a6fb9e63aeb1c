// Entry of onsend.js. Classic Outlook on Windows runs this file alone in a
// JavaScript-only runtime (Office.onReady does not run there); the other
// clients load it from commands.html after office.js. Either way the
// handler must be associated as soon as the file runs.

import type { OfficeLike } from "../shared/office";
import type { AuthLike } from "../shared/signin";
import { createOnMessageSendHandler } from "./handler";

// The server replaces this with its own address when it serves the file:
// the JavaScript-only runtime has no page address to resolve URLs against.
const SERVED_FROM = "__SENDWISE_ORIGIN__";

function defaultBase(): string {
  if (!SERVED_FROM.startsWith("__")) return SERVED_FROM;
  const origin = typeof location !== "undefined" ? location.origin : "";
  return origin.startsWith("http") ? origin : "";
}

declare const Office: OfficeLike | undefined;
declare const OfficeRuntime: { auth?: AuthLike } | undefined;

if (typeof Office !== "undefined" && Office.actions) {
  // OfficeRuntime.auth works in event handlers, where Office.auth's UI is blocked.
  const auth = typeof OfficeRuntime !== "undefined" ? (OfficeRuntime.auth ?? null) : null;
  const handler = createOnMessageSendHandler({ office: Office, defaultBase: defaultBase(), auth });
  Office.actions.associate("onMessageSendHandler", handler as (event: never) => void);
}
