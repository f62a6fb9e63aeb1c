import type { Report } from "../src/shared/types";
import { StandIn } from "../src/playground/standin";

export const SENDER = "Tom Li <tom.li@brightway-lighting.cn>";

/** A compose item whose callbacks answer on a later turn, like Office.js. */
export function standIn(fields: Partial<Record<"to" | "cc" | "bcc" | "subject" | "body", string>> = {}, lang = "en-US") {
  const s = new StandIn({ from: SENDER, ...fields }, lang, null);
  s.delayMs = 0;
  return s;
}

export function jsonResponse(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

export function report(partial: Partial<Report>): Report {
  return { contract: "1", verdict: "ok", findings: [], recipients: [], context_suggestions: [], ...partial };
}

export const flush = () => new Promise((resolve) => setTimeout(resolve, 0));
