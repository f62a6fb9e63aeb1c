import { describe, expect, it } from "vitest";
import { readDraft, toRequest, unusableRecipients } from "../src/shared/request";
import { standIn } from "./helpers";

describe("request mapping", () => {
  it("maps the compose item to the contract request", async () => {
    const s = standIn({
      to: "Anna Schmidt <anna.schmidt@mueller-leuchten.de>; bob@example.com",
      cc: "lucy.wang@brightway-lighting.cn",
      bcc: "",
      subject: "Quotation",
      body: "Dear Anna,\n\nthe quote.",
    });
    const draft = await readDraft(s.office.context.mailbox.item!, s.office.context.mailbox.userProfile);
    expect(toRequest(draft, "zh-CN")).toEqual({
      draft: {
        from: { name: "Tom Li", email: "tom.li@brightway-lighting.cn" },
        to: [{ name: "Anna Schmidt", email: "anna.schmidt@mueller-leuchten.de" }, { email: "bob@example.com" }],
        cc: [{ email: "lucy.wang@brightway-lighting.cn" }],
        bcc: [],
        subject: "Quotation",
        body: { text: "Dear Anna,\n\nthe quote.", html: null },
        attachments: [],
        thread: { is_reply: false, previous_messages: 0 },
      },
      context: { locale: "zh-CN" },
    });
  });

  it("marks replies and forwards, and asks for the body without the quoted thread", async () => {
    const s = standIn({ to: "anna@mueller.de", body: "Hi" });
    s.composeType = "reply";
    const bodyOptions: object[] = [];
    const item = s.office.context.mailbox.item!;
    const original = item.body.getAsync.bind(item.body);
    item.body.getAsync = (coercion, options, cb) => {
      bodyOptions.push(options);
      original(coercion, options, cb);
    };
    const reply = toRequest(await readDraft(item), "en");
    expect(reply.draft.thread).toEqual({ is_reply: true, previous_messages: 1 });
    expect(bodyOptions).toEqual([{ bodyMode: "hostConfig" }]);
    s.composeType = "forward";
    expect(toRequest(await readDraft(item), "en").draft.thread).toEqual({ is_reply: false, previous_messages: 1 });
  });

  it("leaves out recipients without a usable address and says which", async () => {
    const s = standIn({ to: "Sales Team; anna@mueller.de; broken@", subject: "x", body: "y" });
    const draft = await readDraft(s.office.context.mailbox.item!);
    expect(toRequest(draft, "en").draft.to).toEqual([{ email: "anna@mueller.de" }]);
    expect(unusableRecipients(draft)).toEqual(["Sales Team", "broken@"]);
  });

  it("reads HTML only for HTML bodies, lists real attachments, omits what the host cannot say", async () => {
    const s = standIn({ to: "anna@mueller.de", subject: "x", body: "Hello" });
    const item = s.office.context.mailbox.item!;
    item.body.getTypeAsync = (cb) => setTimeout(() => cb({ status: "succeeded", value: "html" }));
    item.getAttachmentsAsync = (cb) =>
      setTimeout(() =>
        cb({
          status: "succeeded",
          value: [
            { name: "catalog.pdf", size: 2400000, contentType: "application/pdf" },
            { name: "logo.png", size: 3000, contentType: "image/png", isInline: true },
          ],
        }),
      );
    delete item.getComposeTypeAsync;
    const request = toRequest(await readDraft(item), "en");
    expect(request.draft.body.html).toContain("<p>Hello</p>");
    expect(request.draft.attachments).toEqual([{ name: "catalog.pdf", size: 2400000, content_type: "application/pdf" }]);
    expect(request.draft.thread).toBeUndefined();
  });

  it("rejects when Outlook fails to give a required part", async () => {
    const s = standIn({ to: "anna@mueller.de" });
    s.failNext("to.getAsync", { message: "Mailbox is busy" });
    await expect(readDraft(s.office.context.mailbox.item!)).rejects.toThrow(/to.getAsync failed: Mailbox is busy/);
  });
});
