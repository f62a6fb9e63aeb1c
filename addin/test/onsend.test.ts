// The on-send decision table, through the real handler: a fake Office
// (the stand-in), a fake fetch and fake timers. Each case asserts the exact
// options given to event.completed, and that it is called exactly once.

import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createOnMessageSendHandler, DEADLINE_MS } from "../src/onsend/handler";
import { clip, decide, MAX_ERROR_MESSAGE, PANE_COMMAND_ID } from "../src/onsend/decide";
import type { OnSendPolicy, Report } from "../src/shared/types";
import { jsonResponse, report, standIn } from "./helpers";

const HOLIDAY = report({
  verdict: "review",
  findings: [
    { code: "compliance.unsubscribe_missing", severity: "warn", title: "No way to opt out", message: "No opt-out.", suggestion: "Add one." },
    {
      code: "mass.exposed_recipients",
      severity: "warn",
      title: "Recipients exposed to each other",
      message: "12 customers of different companies can see each other's addresses.",
      suggestion: "Move them to Bcc or send separately.",
    },
    { code: "relationship.cold_contact", severity: "info", title: "Cold contact", message: "No prior contact." },
  ],
});
const BLOCKED = report({
  verdict: "block",
  findings: [
    { code: "deliverability.shouting", severity: "warn", title: "Shouting", message: "Capitals." },
    { code: "compliance.suppressed_recipient", severity: "block", title: "Unsubscribed recipient", message: "Marco Rossi unsubscribed.", suggestion: "Remove him." },
    { code: "personalization.merge_field_unfilled", severity: "block", title: "Unfilled merge field", message: "{{first_name}} was left in.", suggestion: "Fill it in." },
  ],
});

type Server = (url: string, init: RequestInit) => Promise<Response>;

/** A server that never answers; like fetch, the request ends when aborted. */
const never = (init?: RequestInit) =>
  new Promise<Response>((_, reject) => init?.signal?.addEventListener("abort", () => reject(new DOMException("aborted", "AbortError"))));

function setup(server: Server, opts: { lang?: string; cachedPolicy?: OnSendPolicy } = {}) {
  const s = standIn({ to: "anna@mueller-leuchten.de", subject: "Offer", body: "Dear Anna, ..." }, opts.lang);
  if (opts.cachedPolicy) s.office.context.roamingSettings.set("sendwise.onSend", opts.cachedPolicy);
  const calls: { url: string; body: unknown }[] = [];
  const fetch = vi.fn(async (url: string, init: RequestInit) => {
    // How to sign in: this server takes API keys only (sign-in has its own tests).
    if (url.endsWith("/api/v1/signin")) return jsonResponse({ microsoft: null });
    calls.push({ url, body: init.body ? JSON.parse(String(init.body)) : null });
    return server(url, init);
  });
  const handler = createOnMessageSendHandler({ office: s.office, defaultBase: "https://sendwise.example", fetch });
  const completed = vi.fn();
  return { s, calls, handler, completed, event: { completed } };
}

const answers =
  (analysis: Report | ((init: RequestInit) => Promise<Response>), sentStatus = 201): Server =>
  async (url, init) => {
    if (url.endsWith("/api/v1/analyze")) return typeof analysis === "function" ? analysis(init) : jsonResponse(analysis);
    if (url.endsWith("/api/v1/sent")) return jsonResponse({ created: true }, sentStatus);
    throw new Error(`unexpected ${url}`);
  };

async function run(ctx: ReturnType<typeof setup>, advance = 0) {
  const done = ctx.handler(ctx.event);
  await vi.advanceTimersByTimeAsync(advance || DEADLINE_MS + 1000);
  await done;
  expect(ctx.completed).toHaveBeenCalledTimes(1);
  return ctx.completed.mock.calls[0][0];
}

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe("on-send decision table", () => {
  it("ok: sends, then records the message (fingerprint only)", async () => {
    const ctx = setup(answers(report({ verdict: "ok" })));
    expect(await run(ctx)).toEqual({ allowEvent: true });
    expect(ctx.calls.map((c) => c.url)).toEqual(["https://sendwise.example/api/v1/analyze", "https://sendwise.example/api/v1/sent"]);
    expect(ctx.calls[1].body).toEqual({ draft: (ctx.calls[0].body as { draft: unknown }).draft });
  });

  it("review with the default policy: sends", async () => {
    const ctx = setup(answers(HOLIDAY));
    expect(await run(ctx)).toEqual({ allowEvent: true });
    expect(ctx.calls).toHaveLength(2);
  });

  it("review with hold_once: holds with the reasons and lets the user send anyway", async () => {
    const ctx = setup(answers({ ...HOLIDAY, on_send: { review: "hold_once", unreachable: "send" } }));
    expect(await run(ctx)).toEqual({
      allowEvent: false,
      errorMessage:
        "sendwise: please check before sending.\nNo opt-out. Add one.\nAlso: Recipients exposed to each other.",
      cancelLabel: "Open sendwise",
      commandId: PANE_COMMAND_ID,
      sendModeOverride: "promptUser",
    });
    expect(ctx.calls).toHaveLength(1); // nothing was sent, so nothing is recorded
  });

  it("block: holds, names the worst findings, offers the pane", async () => {
    const ctx = setup(answers(BLOCKED));
    expect(await run(ctx)).toEqual({
      allowEvent: false,
      errorMessage: "sendwise: do not send yet.\nMarco Rossi unsubscribed. Remove him.\nAlso: Unfilled merge field.",
      cancelLabel: "Open sendwise",
      commandId: PANE_COMMAND_ID,
    });
  });

  it("block in Chinese when Outlook is in Chinese", async () => {
    const ctx = setup(answers(BLOCKED), { lang: "zh-CN" });
    const options = await run(ctx);
    expect(options.errorMessage).toMatch(/^sendwise：暂不要发送。\n/);
    expect(options.errorMessage).toContain("另外：Unfilled merge field。");
    expect(options.cancelLabel).toBe("打开 sendwise");
    expect((ctx.calls[0].body as { context: { locale: string } }).context.locale).toBe("zh-CN");
  });

  const down = () => Promise.reject(new TypeError("Failed to fetch"));

  it("slow backend, fail-open: sends when the 3 s deadline passes", async () => {
    const ctx = setup(answers(never));
    const done = ctx.handler(ctx.event);
    await vi.advanceTimersByTimeAsync(DEADLINE_MS - 1);
    expect(ctx.completed).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(ctx.completed).toHaveBeenCalledTimes(1);
    expect(ctx.completed).toHaveBeenCalledWith({ allowEvent: true });
    await vi.advanceTimersByTimeAsync(10000);
    await done;
    expect(ctx.completed).toHaveBeenCalledTimes(1);
    expect(ctx.calls).toHaveLength(1); // not recorded: it was not checked
  });

  it("slow backend, fail-closed: holds and says why", async () => {
    const ctx = setup(answers(never), { cachedPolicy: { review: "send", unreachable: "hold", override: "with_reason" } });
    expect(await run(ctx, DEADLINE_MS)).toEqual({
      allowEvent: false,
      errorMessage:
        "sendwise could not check this email (the server did not answer within 3 seconds), and your organisation holds email that cannot be checked. Press Send again in a moment, or open sendwise.",
      cancelLabel: "Open sendwise",
      commandId: PANE_COMMAND_ID,
    });
  });

  it("backend down, fail-open: sends at once", async () => {
    const ctx = setup(answers(down));
    expect(await run(ctx, 10)).toEqual({ allowEvent: true });
  });

  it("backend down, fail-closed: holds, in Chinese too", async () => {
    const ctx = setup(answers(down), { lang: "zh-CN", cachedPolicy: { review: "send", unreachable: "hold", override: "with_reason" } });
    const options = await run(ctx, 10);
    expect(options).toEqual({
      allowEvent: false,
      errorMessage: "sendwise 无法检查这封邮件（无法连接服务器），而贵公司规定无法检查的邮件须暂缓发送。请稍后再点“发送”，或打开 sendwise 查看。",
      cancelLabel: "打开 sendwise",
      commandId: PANE_COMMAND_ID,
    });
  });

  it("a rejected API key counts as unchecked, by the policy", async () => {
    const ctx = setup(async () => jsonResponse({ error: { code: "unauthorized", message: "unknown API key" } }, 401), {
      cachedPolicy: { review: "send", unreachable: "hold", override: "with_reason" },
    });
    expect((await run(ctx, 10)).errorMessage).toContain("the server refused the API key");
  });

  it("Outlook failing to give the draft counts as unchecked", async () => {
    const ctx = setup(answers(report({ verdict: "ok" })), { cachedPolicy: { review: "send", unreachable: "hold", override: "with_reason" } });
    ctx.s.failNext("body.getAsync");
    expect((await run(ctx, 10)).errorMessage).toContain("Outlook could not read the draft");
    expect(ctx.calls).toHaveLength(0);
  });

  it("remembers the organisation's policy for when the server is down", async () => {
    const ctx = setup(answers({ ...report({ verdict: "ok" }), on_send: { review: "send", unreachable: "hold" } }));
    await run(ctx);
    expect(ctx.s.office.context.roamingSettings.get("sendwise.onSend")).toEqual({ review: "send", unreachable: "hold", override: "with_reason" });
  });

  it("a slow record of the sent mail does not hold the send back", async () => {
    const ctx = setup(async (url) => (url.endsWith("/analyze") ? jsonResponse(report({ verdict: "ok" })) : new Promise<Response>(() => {})));
    const done = ctx.handler(ctx.event);
    await vi.advanceTimersByTimeAsync(399);
    expect(ctx.completed).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(2);
    expect(ctx.completed).toHaveBeenCalledWith({ allowEvent: true });
    await done;
  });
});

describe("decide", () => {
  it("keeps the dialog text within Outlook's 500 characters", () => {
    const long = report({
      verdict: "block",
      findings: Array.from({ length: 30 }, (_, i) => ({ code: `c${i}`, severity: "block" as const, title: `Problem number ${i} `.repeat(3), message: "x".repeat(200) })),
    });
    const options = decide({ kind: "report", report: long }, { review: "send", unreachable: "send", override: "with_reason" }, "en");
    expect(Array.from(options.errorMessage!).length).toBeLessThanOrEqual(MAX_ERROR_MESSAGE);
    expect(options.errorMessage!.endsWith("…")).toBe(true);
  });

  it("clips by characters, never halving a character", () => {
    expect(clip("😀😀😀", 2)).toBe("😀…");
  });
});
