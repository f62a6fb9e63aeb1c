import { describe, expect, it } from "vitest";
import { appendLine, fixFor, insertAtCursor, moveExternalToBcc, removeSelectedLine } from "../src/taskpane/fixes";
import { report, standIn } from "./helpers";

const TWELVE = Array.from({ length: 12 }, (_, i) => `buyer${i}@company${i}-trading.com`);
const SENDER = { name: "Tom Li", email: "tom.li@brightway-lighting.cn" };

describe("move external recipients to Bcc", () => {
  it("moves To and Cc externals, keeps colleagues, puts the sender in an empty To", async () => {
    const s = standIn({ to: TWELVE.slice(0, 10).join("; "), cc: [...TWELVE.slice(10), "lucy.wang@brightway-lighting.cn"].join("; "), bcc: "" });
    const moved = await moveExternalToBcc(s.office.context.mailbox.item!, TWELVE, SENDER);
    expect(moved).toBe(12);
    expect(s.fields.to).toBe("Tom Li <tom.li@brightway-lighting.cn>");
    expect(s.fields.cc).toBe("lucy.wang@brightway-lighting.cn");
    expect(s.fields.bcc.split("; ")).toEqual(TWELVE);
  });

  it("fills Bcc before emptying To, so a failure loses nobody", async () => {
    const s = standIn({ to: TWELVE.join("; ") });
    s.failNext("bcc.addAsync", { message: "Too many recipients" });
    await expect(moveExternalToBcc(s.office.context.mailbox.item!, TWELVE, SENDER)).rejects.toThrow(/Too many recipients/);
    expect(s.fields.to.split("; ")).toEqual(TWELVE);
    expect(s.fields.bcc).toBe("");
  });
});

describe("inserting text", () => {
  it("inserts the opening line at the cursor, or at the top without one", async () => {
    const s = standIn({ body: "Hello,\nthe quote." });
    await insertAtCursor(s.office.context.mailbox.item!, "Dear Anna,");
    expect(s.fields.body).toBe("Dear Anna,\nHello,\nthe quote.");
    s.selection = { start: s.fields.body.length, end: s.fields.body.length };
    await insertAtCursor(s.office.context.mailbox.item!, "PS");
    expect(s.fields.body.endsWith("the quote.PS\n")).toBe(true);
  });

  it("adds the opt-out line at the end of a new message, at the cursor in a reply", async () => {
    const s = standIn({ body: "Dear Anna,\n\nour offer.\n\n" });
    await appendLine(s.office.context.mailbox.item!, "Reply unsubscribe to opt out.", "newMail");
    expect(s.fields.body).toBe("Dear Anna,\n\nour offer.\n\nReply unsubscribe to opt out.\n");
    const r = standIn({ body: "My answer\n\n> quoted thread" });
    r.selection = { start: 9, end: 9 };
    await appendLine(r.office.context.mailbox.item!, "88 Huangpu Road", "reply");
    expect(r.fields.body).toBe("My answer88 Huangpu Road\n\n\n> quoted thread");
  });

  it("removes the selected line with the merge field, and asks for a selection otherwise", async () => {
    const s = standIn({ body: "Dear {{first_name}},\nour offer." });
    const item = s.office.context.mailbox.item!;
    expect(await removeSelectedLine(item, "{{first_name}}")).toBe("select-first");
    s.selection = { start: 0, end: 21 };
    expect(await removeSelectedLine(item, "{{first_name}}")).toBe("removed");
    expect(s.fields.body).toBe("our offer.");
  });
});

describe("which fix a finding offers", () => {
  const r = report({
    recipients: [
      { email: "anna@mueller.de", external: true, field: "to", crm: { name: "Anna Schmidt" } },
      { email: "lucy@brightway-lighting.cn", external: false, field: "cc" },
    ],
    context_suggestions: [{ kind: "last_interaction", text: "Anna asked", insert: "Following up on your request," }],
  });
  const f = (code: string, evidence?: string) => ({ code, severity: "warn" as const, title: "", message: "", evidence: evidence ? [{ field: "body", text: evidence }] : [] });
  it.each([
    ["mass.exposed_recipients", undefined, { kind: "moveToBcc", count: 1, emails: ["anna@mueller.de"] }],
    ["personalization.generic_greeting", undefined, { kind: "insert", text: "Dear Anna," }],
    ["personalization.missing", undefined, { kind: "insert", text: "Following up on your request," }],
    ["compliance.unsubscribe_missing", undefined, { kind: "optOut" }],
    ["compliance.postal_address_missing", undefined, { kind: "postal", address: "1 Demo Road" }],
    ["personalization.merge_field_unfilled", "{{first_name}}", { kind: "removeMergeLine", field: "{{first_name}}" }],
    ["deliverability.spam_phrases", undefined, null],
  ])("%s", (code, evidence, expected) => {
    expect(fixFor(f(code, evidence), r, "1 Demo Road")).toEqual(expected);
  });
  it("offers no postal address it does not know", () => {
    expect(fixFor(f("compliance.postal_address_missing"), r, null)).toBeNull();
  });
});
