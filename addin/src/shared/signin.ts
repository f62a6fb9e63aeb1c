// Who the user is, for the server: a Microsoft access token for sendwise's
// API, from nested app authentication (MSAL.js in Outlook's own broker)
// where the client supports it, from Office SSO otherwise; the API key of
// the settings when neither is possible (a server without an Entra app
// registration, an Outlook without either API, or a failed sign-in).
//
// The server says whether it can take Microsoft tokens, and for which app
// (GET /api/v1/signin). Everything Office- or MSAL-specific comes in as
// `SignInDeps`, so the choice and the fallbacks are tested without either.

import type { OfficeLike } from "./office";

export type SignInMethod = "naa" | "sso" | "apiKey" | "none";

/** The server's Entra app, as GET /api/v1/signin describes it. */
export interface MicrosoftApp {
  client_id: string;
  scopes: string[];
  authority: string;
}

export interface Environment {
  microsoft: MicrosoftApp | null;
  naaSupported: boolean; // requirement set NestedAppAuth 1.1
  ssoAvailable: boolean; // Office.auth / OfficeRuntime.auth getAccessToken
  apiKey: string | null;
}

export interface TokenResult {
  accessToken: string;
}

/** The part of MSAL's nestable public client application used here. */
export interface NaaClient {
  acquireTokenSilent(request: { scopes: string[] }): Promise<TokenResult>;
  acquireTokenPopup(request: { scopes: string[] }): Promise<TokenResult>;
}

export interface SignInDeps {
  createNaa(app: MicrosoftApp): Promise<NaaClient>;
  ssoToken(options: { allowSignInPrompt: boolean; allowConsentPrompt: boolean }): Promise<string>;
  /** The task pane may show a sign-in window; the on-send check may not. */
  interactive: boolean;
}

export function chooseMethod(env: Environment): SignInMethod {
  if (env.microsoft && env.naaSupported) return "naa";
  if (env.microsoft && env.ssoAvailable) return "sso";
  if (env.apiKey) return "apiKey";
  return "none";
}

export class SignInError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SignInError";
  }
}

/** Hands out the `Authorization: Bearer` credential for each request. */
export class Credentials {
  readonly method: SignInMethod;
  /** Why the sign-in failed when the API key stood in for it. */
  fallbackReason: string | null = null;
  private naa: Promise<NaaClient> | null = null;

  constructor(
    private readonly env: Environment,
    private readonly deps: SignInDeps,
  ) {
    this.method = chooseMethod(env);
  }

  async bearer(): Promise<string | null> {
    if (this.method === "apiKey") return this.env.apiKey;
    if (this.method === "none") return null;
    try {
      return this.method === "naa" ? await this.naaToken() : await this.ssoToken();
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      if (this.env.apiKey) {
        this.fallbackReason = reason;
        return this.env.apiKey;
      }
      throw new SignInError(reason);
    }
  }

  private async naaToken(): Promise<string> {
    const app = this.env.microsoft!;
    this.naa ??= this.deps.createNaa(app);
    const client = await this.naa.catch((err) => {
      this.naa = null; // try again next time
      throw err;
    });
    try {
      return (await client.acquireTokenSilent({ scopes: app.scopes })).accessToken;
    } catch (err) {
      // Silent fails the first time (consent) and after the session ends;
      // only the pane may open the window that fixes it.
      if (!this.deps.interactive) throw err;
      return (await client.acquireTokenPopup({ scopes: app.scopes })).accessToken;
    }
  }

  private ssoToken(): Promise<string> {
    const interactive = this.deps.interactive;
    return this.deps.ssoToken({ allowSignInPrompt: interactive, allowConsentPrompt: interactive });
  }
}

// --- the real Office and MSAL --------------------------------------------

export interface AuthLike {
  getAccessToken(options?: { allowSignInPrompt?: boolean; allowConsentPrompt?: boolean }): Promise<string>;
}

/** What this Outlook offers: NAA by its requirement set, SSO by the API's presence. */
export function environment(
  office: OfficeLike,
  auth: AuthLike | null | undefined,
  microsoft: MicrosoftApp | null,
  apiKey: string | null,
): Environment {
  let naaSupported = false;
  try {
    naaSupported = Boolean(office.context.requirements?.isSetSupported("NestedAppAuth", "1.1"));
  } catch {
    naaSupported = false;
  }
  return { microsoft, naaSupported, ssoAvailable: typeof auth?.getAccessToken === "function", apiKey };
}

export function officeDeps(auth: AuthLike | null | undefined, interactive: boolean): SignInDeps {
  return {
    interactive,
    async createNaa(app) {
      // Loaded only when used: MSAL is most of the bundle's weight.
      const msal = await import("@azure/msal-browser");
      return msal.createNestablePublicClientApplication({ auth: { clientId: app.client_id, authority: app.authority } });
    },
    ssoToken(options) {
      if (!auth) return Promise.reject(new Error("Office SSO is not available"));
      return auth.getAccessToken(options);
    },
  };
}

/** The server's Entra app, or null when it takes API keys only (or cannot be asked). */
export async function microsoftApp(
  baseUrl: string,
  fetchImpl: (input: string, init: RequestInit) => Promise<Response> = (i, o) => fetch(i, o),
  signal?: AbortSignal,
): Promise<MicrosoftApp | null> {
  try {
    const response = await fetchImpl(`${baseUrl}/api/v1/signin`, { headers: { Accept: "application/json" }, credentials: "omit", mode: "cors", signal });
    if (!response.ok) return null;
    const app = ((await response.json()) as { microsoft?: MicrosoftApp | null }).microsoft;
    return app && typeof app.client_id === "string" && Array.isArray(app.scopes) ? app : null;
  } catch {
    return null;
  }
}
