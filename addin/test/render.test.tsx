// Each kind of finding as the pane shows it, in English and Chinese.

import { FluentProvider, webLightTheme } from "@fluentui/react-components";
import { act, cleanup, fireEvent, render, screen, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { PaneController } from "../src/taskpane/controller";
import { Pane } from "../src/taskpane/Pane";
import type { Finding, Report } from "../src/shared/types";
import { flush, jsonResponse, report, standIn } from "./helpers";

afterEach(cleanup);

const F = (code: string, severity: Finding["severity"], evidence?: string): Finding => ({
  code,
  severity,
  title: `title of ${code}`,
  message: `message of ${code}`,
  suggestion: `suggestion of ${code}`,
  evidence: evidence ? [{ field: "body", start: 0, end: evidence.length, text: evidence }] : [],
});

const EVERY_KIND: Report = report({
  verdict: "block",
  findings: [
    F("deliverability.spam_phrases", "info", "best price"),
    F("mass.exposed_recipients", "warn"),
    F("personalization.merge_field_unfilled", "block", "{{first_name}}"),
    F("personalization.generic_greeting", "warn", "Dear Sir/Madam"),
    F("compliance.unsubscribe_missing", "warn"),
    F("compliance.postal_address_missing", "warn"),
    F("relationship.cold_contact", "info"),
  ],
  recipients: [
    { email: "anna@mueller.de", external: true, field: "to", jurisdiction: "DE", relationship: "warm", crm: { name: "Anna Schmidt", stage: "sample", consent: "opt_in", role: "purchasing", last_exchange: { date: "2026-10-02", direction: "out", subject: "Quotation" } } },
    { email: "m.rossi@rossi.it", external: true, field: "bcc", jurisdiction: "IT", relationship: "customer", crm: { name: "Marco Rossi", unsubscribed: true, consent: "opt_out" } },
    { email: "lucy@brightway-lighting.cn", external: false, field: "cc", relationship: "internal" },
  ],
  context_suggestions: [{ kind: "next_step", text: "Ask whether the samples passed testing.", insert: "Did the samples pass your tests?" }],
  not_checked: [{ code: "attachments", reason: "attachment contents" }],
  policy_warnings: ["mass.bulk_bcc is set to off"],
});

async function mount(lang: string, answer: Report = EVERY_KIND) {
  const s = standIn({ to: "anna@mueller.de", cc: "lucy@brightway-lighting.cn", bcc: "m.rossi@rossi.it", subject: "Offer", body: "Dear Sir/Madam" }, lang);
  const fetch = vi.fn(async (url: string, _init?: RequestInit) => {
    if (url.includes("/api/v1/analyze")) return jsonResponse(answer);
    if (url.includes("/api/v1/codes")) return jsonResponse({ codes: [{ code: "mass.exposed_recipients", severity: "warn", title: "t", what: "WHAT-TEXT", why: "WHY-TEXT", instead: "INSTEAD-TEXT" }] });
    if (url.includes("/api/v1/org")) return jsonResponse({ slug: "demo", name: "Demo", domains: [], postal_address: "1 Demo Road" });
    if (url.includes("/api/v1/overrides")) return jsonResponse({ override: {} }, 201);
    throw new Error(url);
  });
  const controller = new PaneController({ office: s.office, defaultBase: "http://server", fetch, pollMs: 60_000 });
  render(
    <FluentProvider theme={webLightTheme}>
      <Pane controller={controller} />
    </FluentProvider>,
  );
  await act(async () => {
    controller.start();
    for (let i = 0; i < 10; i++) await flush();
  });
  return { s, controller, fetch };
}

const LABELS = {
  "en-US": { verdict: "Do not send yet: 1 blocking problem", bcc: "Move 1 recipient to Bcc", optOut: "Add opt-out line", postal: "Add postal address", merge: "Remove the selected line with {{first_name}}", greeting: "Insert: Dear Anna,", more: "Show 4 more", crm: "From your CRM", unsub: "unsubscribed", why: "Why?", dismiss: "Dismiss", colleagues: "1 colleague: lucy@brightway-lighting.cn" },
  "zh-CN": { verdict: "暂不要发送：有 1 个必须解决的问题", bcc: "把 1 位收件人移到密送", optOut: "添加退订说明", postal: "添加公司邮寄地址", merge: "删除所选的含 {{first_name}} 的行", greeting: "插入：Dear Anna,", more: "再显示 4 条", crm: "CRM 信息", unsub: "已退订", why: "为什么？", dismiss: "忽略", colleagues: "1 位同事：lucy@brightway-lighting.cn" },
} as const;

describe.each(Object.entries(LABELS))("the pane in %s", (lang, L) => {
  it("shows the verdict, every kind of finding worst first with its fix, recipients and CRM", async () => {
    const { fetch } = await mount(lang);
    expect(document.querySelector("[data-verdict]")!.getAttribute("data-verdict")).toBe("block");
    expect(document.querySelector("[data-verdict]")!.textContent).toContain(L.verdict);
    // Three cards first, worst first; the rest behind "Show N more".
    const codes = () => [...document.querySelectorAll("[data-code]")].map((e) => e.getAttribute("data-code"));
    expect(codes()).toEqual(["personalization.merge_field_unfilled", "mass.exposed_recipients", "personalization.generic_greeting"]);
    fireEvent.click(screen.getByRole("button", { name: L.more }));
    expect(codes()).toEqual([
      "personalization.merge_field_unfilled",
      "mass.exposed_recipients",
      "personalization.generic_greeting",
      "compliance.unsubscribe_missing",
      "compliance.postal_address_missing",
      "deliverability.spam_phrases",
      "relationship.cold_contact",
    ]);
    const card = (code: string) => within(document.querySelector(`[data-code="${code}"]`) as HTMLElement);
    expect(card("mass.exposed_recipients").getByRole("button", { name: L.bcc })).toBeTruthy();
    expect(card("compliance.unsubscribe_missing").getByRole("button", { name: L.optOut })).toBeTruthy();
    expect(card("compliance.postal_address_missing").getByRole("button", { name: L.postal })).toBeTruthy();
    expect(card("personalization.merge_field_unfilled").getByRole("button", { name: L.merge })).toBeTruthy();
    expect(card("personalization.generic_greeting").getByRole("button", { name: L.greeting })).toBeTruthy();
    // Without a fix, the advice is a sentence; evidence is quoted.
    expect(card("deliverability.spam_phrases").getByText("suggestion of deliverability.spam_phrases")).toBeTruthy();
    expect(card("deliverability.spam_phrases").getByText(/“best price”/)).toBeTruthy();
    // Every card is a list item with a heading, a Why? and a Dismiss.
    for (const el of document.querySelectorAll("[data-code]")) {
      expect(el.tagName).toBe("LI");
      expect(within(el as HTMLElement).getByRole("heading", { level: 3 })).toBeTruthy();
      expect(within(el as HTMLElement).getByRole("button", { name: L.why })).toBeTruthy();
      expect(within(el as HTMLElement).getByRole("button", { name: L.dismiss })).toBeTruthy();
    }
    // Why? shows what/why/instead from the server's explanations.
    fireEvent.click(card("mass.exposed_recipients").getByRole("button", { name: L.why }));
    expect(card("mass.exposed_recipients").getByText("WHY-TEXT")).toBeTruthy();
    // Recipients: chips for external ones, colleagues folded into one line.
    expect(document.querySelectorAll("[data-recipient]")).toHaveLength(2);
    expect(within(document.querySelector('[data-recipient="m.rossi@rossi.it"]') as HTMLElement).getByText(L.unsub)).toBeTruthy();
    expect(screen.getByText(L.colleagues)).toBeTruthy();
    expect(screen.getByRole("heading", { name: L.crm })).toBeTruthy();
    // The request asked for messages in the pane's language.
    const analyze = fetch.mock.calls.find(([url]) => String(url).includes("/analyze"))!;
    expect(JSON.parse(String(analyze[1]!.body)).context.locale).toBe(lang === "zh-CN" ? "zh-CN" : "en");
    // Not-checked parts and policy warnings get a line each.
    expect(document.querySelectorAll("[data-note]")).toHaveLength(2);
  });
});

describe("pane behaviour", () => {
  it("moves the exposed recipient to Bcc through Office.js and analyses again", async () => {
    const { s, fetch } = await mount("en-US");
    const before = fetch.mock.calls.filter(([u]) => String(u).includes("/analyze")).length;
    await act(async () => {
      fireEvent.click(screen.getByRole("button", { name: "Move 1 recipient to Bcc" }));
      for (let i = 0; i < 20; i++) await flush();
    });
    expect(s.fields.bcc).toBe("m.rossi@rossi.it; anna@mueller.de");
    expect(s.fields.to).toBe("Tom Li <tom.li@brightway-lighting.cn>");
    expect(s.fields.cc).toBe("lucy@brightway-lighting.cn");
    expect(fetch.mock.calls.filter(([u]) => String(u).includes("/analyze")).length).toBeGreaterThan(before);
  });

  it("records a dismissal with its reason and hides the finding", async () => {
    const { fetch } = await mount("en-US");
    const card = within(document.querySelector('[data-code="mass.exposed_recipients"]') as HTMLElement);
    fireEvent.click(card.getByRole("button", { name: "Dismiss" }));
    fireEvent.change(screen.getByRole("textbox", { name: "Reason" }), { target: { value: "they all know each other" } });
    await act(async () => {
      fireEvent.click(within(screen.getByRole("dialog")).getByRole("button", { name: "Dismiss" }));
      for (let i = 0; i < 10; i++) await flush();
    });
    const call = fetch.mock.calls.find(([u]) => String(u).includes("/overrides"))!;
    expect(JSON.parse(String(call[1]!.body))).toEqual({
      code: "mass.exposed_recipients",
      reason: "Not relevant to this email: they all know each other",
      user: "tom.li@brightway-lighting.cn",
    });
    expect(document.querySelector('[data-code="mass.exposed_recipients"]')).toBeNull();
  });

  it("offers no Dismiss where the organisation allows no overrides", async () => {
    await mount("en-US", { ...EVERY_KIND, on_send: { review: "send", unreachable: "send", override: "never" } });
    expect(document.querySelectorAll("[data-code]").length).toBeGreaterThan(0);
    expect(screen.queryAllByRole("button", { name: "Dismiss" })).toHaveLength(0);
    expect(screen.getAllByRole("button", { name: "Why?" }).length).toBeGreaterThan(0);
  });

  it("says when the server cannot be reached and what Send will do", async () => {
    const s = standIn({ to: "anna@mueller.de", subject: "x", body: "y" });
    s.office.context.roamingSettings.set("sendwise.onSend", { review: "send", unreachable: "hold" });
    const controller = new PaneController({ office: s.office, defaultBase: "http://server", fetch: () => Promise.reject(new TypeError("down")), pollMs: 60_000 });
    render(<FluentProvider theme={webLightTheme}><Pane controller={controller} /></FluentProvider>);
    await act(async () => {
      controller.start();
      for (let i = 0; i < 10; i++) await flush();
    });
    expect(document.querySelector("[data-error]")!.textContent).toContain("sendwise cannot reach its server. When you press Send, the email will be held until it can be checked.");
    expect(screen.getByRole("button", { name: "Retry" })).toBeTruthy();
  });

  it("asks for recipients before checking", async () => {
    const s = standIn({ subject: "x", body: "y" });
    const fetch = vi.fn(async (_url: string, _init?: RequestInit) => jsonResponse({ codes: [] }));
    const controller = new PaneController({ office: s.office, defaultBase: "http://server", fetch, pollMs: 60_000 });
    render(<FluentProvider theme={webLightTheme}><Pane controller={controller} /></FluentProvider>);
    await act(async () => {
      controller.start();
      for (let i = 0; i < 10; i++) await flush();
    });
    expect(screen.getByText("Add recipients to check the email.")).toBeTruthy();
    expect(fetch.mock.calls.some(([u]) => String(u).includes("/analyze"))).toBe(false);
  });

  it("polls the body and analyses only after the text stops changing, once", async () => {
    const s = standIn({ to: "anna@mueller.de", subject: "x", body: "a" });
    const fetch = vi.fn(async (url: string) => jsonResponse(url.includes("analyze") ? report({}) : { codes: [] }));
    const controller = new PaneController({ office: s.office, defaultBase: "http://server", fetch, pollMs: 60_000 });
    const analyses = () => fetch.mock.calls.filter(([u]) => String(u).includes("/analyze")).length;
    controller.start();
    for (let i = 0; i < 10; i++) await flush();
    expect(analyses()).toBe(1);
    s.update({ body: "ab" });
    await controller.poll(); // changed since the last poll: still typing
    expect(analyses()).toBe(1);
    await controller.poll(); // unchanged since the last poll: a pause
    expect(analyses()).toBe(2);
    await controller.poll(); // nothing new: no request
    await controller.poll();
    expect(analyses()).toBe(2);
    controller.stop();
  });
});
