// Calls to the sendwise server. Every call has a deadline (an AbortSignal):
// the on-send check must decide within seconds whatever the network does.

import type { AnalysisRequest, Report } from "./types";

export interface ServerConfig {
  baseUrl: string; // scheme://host[:port][/prefix], no trailing slash
  apiKey?: string | null;
  /** The bearer for each request (a Microsoft token, or the API key); wins over `apiKey`. */
  bearer?: () => Promise<string | null>;
}

export type FailureKind = "network" | "timeout" | "auth" | "http";

export class ServerError extends Error {
  constructor(
    readonly kind: FailureKind,
    message: string,
    readonly status?: number,
    readonly code?: string,
  ) {
    super(message);
    this.name = "ServerError";
  }
}

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

export interface CallOptions {
  signal?: AbortSignal;
  fetch?: FetchLike;
  keepalive?: boolean;
}

function headers(bearer: string | null | undefined, withBody: boolean): Record<string, string> {
  const h: Record<string, string> = { Accept: "application/json" };
  if (withBody) h["Content-Type"] = "application/json";
  if (bearer) h.Authorization = `Bearer ${bearer}`;
  return h;
}

async function credential(config: ServerConfig): Promise<string | null | undefined> {
  if (!config.bearer) return config.apiKey;
  try {
    return await config.bearer();
  } catch (err) {
    throw new ServerError("auth", err instanceof Error ? err.message : String(err), undefined, "sign_in_failed");
  }
}

async function request<T>(config: ServerConfig, method: string, path: string, body: unknown, options: CallOptions): Promise<T> {
  const doFetch = options.fetch ?? ((input: string, init: RequestInit) => fetch(input, init));
  const bearer = await credential(config);
  let response: Response;
  try {
    response = await doFetch(config.baseUrl + path, {
      method,
      headers: headers(bearer, body !== undefined),
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: options.signal,
      keepalive: options.keepalive,
      credentials: "omit",
      mode: "cors",
    });
  } catch (err) {
    if (options.signal?.aborted || (err instanceof Error && err.name === "AbortError")) {
      throw new ServerError("timeout", "the server did not answer in time");
    }
    throw new ServerError("network", "the server cannot be reached");
  }
  let payload: unknown = null;
  try {
    payload = await response.json();
  } catch {
    if (options.signal?.aborted) throw new ServerError("timeout", "the server did not answer in time");
  }
  if (!response.ok) {
    const error = (payload as { error?: { code?: string; message?: string } } | null)?.error;
    const kind: FailureKind = response.status === 401 || response.status === 403 ? "auth" : "http";
    throw new ServerError(kind, error?.message ?? `HTTP ${response.status}`, response.status, error?.code);
  }
  return payload as T;
}

export function analyze(config: ServerConfig, body: AnalysisRequest, options: CallOptions = {}): Promise<Report> {
  return request<Report>(config, "POST", "/api/v1/analyze", body, options);
}

/** Records a sent message (POST /api/v1/sent): the server keeps only a fingerprint. */
export function recordSent(config: ServerConfig, draft: AnalysisRequest["draft"], options: CallOptions = {}): Promise<unknown> {
  return request(config, "POST", "/api/v1/sent", { draft }, options);
}

export interface OverrideBody {
  code: string;
  reason: string;
  user?: string;
  message_id?: string;
}

export function recordOverride(config: ServerConfig, body: OverrideBody, options: CallOptions = {}): Promise<unknown> {
  return request(config, "POST", "/api/v1/overrides", body, options);
}

export interface CodeDoc {
  code: string;
  severity: string;
  title: string;
  what: string;
  why: string;
  instead: string;
}

export function codeDocs(config: ServerConfig, locale: string, options: CallOptions = {}): Promise<{ codes: CodeDoc[] }> {
  return request(config, "GET", `/api/v1/codes?locale=${encodeURIComponent(locale)}`, undefined, options);
}

export interface OrgInfo {
  slug: string;
  name: string;
  domains: string[];
  postal_address: string | null;
}

export function orgInfo(config: ServerConfig, options: CallOptions = {}): Promise<OrgInfo> {
  return request(config, "GET", "/api/v1/org", undefined, options);
}

/** An AbortSignal that fires after `ms` (AbortSignal.timeout is missing in older webviews). */
export function deadline(ms: number, setTimer: (fn: () => void, ms: number) => unknown = setTimeout): { signal: AbortSignal; controller: AbortController } {
  const controller = new AbortController();
  setTimer(() => controller.abort(), ms);
  return { signal: controller.signal, controller };
}
