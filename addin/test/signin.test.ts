// How the add-in signs in: NAA where Outlook supports it, Office SSO
// otherwise, the API key as the fallback; and what the user sees when the
// server refuses the organisation.

import { createElement } from "react";
import { FluentProvider, webLightTheme } from "@fluentui/react-components";
import { act, cleanup, render, screen } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createOnMessageSendHandler, DEADLINE_MS } from "../src/onsend/handler";
import { chooseMethod, Credentials, environment, microsoftApp, SignInError, type MicrosoftApp, type NaaClient, type SignInDeps } from "../src/shared/signin";
import { PaneController } from "../src/taskpane/controller";
import { Pane } from "../src/taskpane/Pane";
import { flush, jsonResponse, report, standIn } from "./helpers";

afterEach(cleanup);

const APP: MicrosoftApp = {
  client_id: "6f1c2a3b-0000-4000-8000-00000000a11d",
  scopes: ["api://6f1c2a3b-0000-4000-8000-00000000a11d/access_as_user"],
  authority: "https://login.microsoftonline.com/organizations",
};

function naa(silent: () => Promise<string>, popup: () => Promise<string> = () => Promise.reject(new Error("no popup"))) {
  const client: NaaClient = {
    acquireTokenSilent: vi.fn(async () => ({ accessToken: await silent() })),
    acquireTokenPopup: vi.fn(async () => ({ accessToken: await popup() })),
  };
  return client;
}

function deps(client: NaaClient | null, interactive: boolean, sso?: SignInDeps["ssoToken"]): SignInDeps & { createNaa: ReturnType<typeof vi.fn> } {
  return {
    interactive,
    createNaa: vi.fn(async () => {
      if (!client) throw new Error("NAA unavailable");
      return client;
    }),
    ssoToken: sso ?? (() => Promise.reject(new Error("no SSO"))),
  };
}

describe("choosing how to sign in", () => {
  it.each([
    [{ microsoft: APP, naaSupported: true, ssoAvailable: true, apiKey: "sw_key" }, "naa"],
    [{ microsoft: APP, naaSupported: false, ssoAvailable: true, apiKey: "sw_key" }, "sso"],
    [{ microsoft: APP, naaSupported: false, ssoAvailable: false, apiKey: "sw_key" }, "apiKey"],
    [{ microsoft: null, naaSupported: true, ssoAvailable: true, apiKey: "sw_key" }, "apiKey"],
    [{ microsoft: null, naaSupported: true, ssoAvailable: true, apiKey: null }, "none"],
    [{ microsoft: APP, naaSupported: false, ssoAvailable: false, apiKey: null }, "none"],
  ] as const)("%o → %s", (env, method) => {
    expect(chooseMethod(env)).toBe(method);
  });

  it("asks Outlook for NestedAppAuth 1.1 and looks for getAccessToken", () => {
    const s = standIn();
    const isSetSupported = vi.fn((name: string, version?: string) => name === "NestedAppAuth" && version === "1.1");
    s.office.context.requirements = { isSetSupported };
    const env = environment(s.office, { getAccessToken: async () => "t" }, APP, null);
    expect(env).toEqual({ microsoft: APP, naaSupported: true, ssoAvailable: true, apiKey: null });
    expect(isSetSupported).toHaveBeenCalledWith("NestedAppAuth", "1.1");
    s.office.context.requirements = {
      isSetSupported: () => {
        throw new Error("old host");
      },
    };
    expect(environment(s.office, null, APP, null)).toMatchObject({ naaSupported: false, ssoAvailable: false });
  });

  it("learns the app from the server, and nothing from a server without one", async () => {
    const fetch = vi.fn(async (url: string) => jsonResponse(url.endsWith("/api/v1/signin") ? { microsoft: APP } : {}));
    expect(await microsoftApp("https://sendwise.example", fetch)).toEqual(APP);
    expect(fetch).toHaveBeenCalledWith("https://sendwise.example/api/v1/signin", expect.objectContaining({ credentials: "omit" }));
    expect(await microsoftApp("x", async () => jsonResponse({ microsoft: null }))).toBeNull();
    expect(await microsoftApp("x", async () => jsonResponse({ error: {} }, 404))).toBeNull();
    expect(await microsoftApp("x", () => Promise.reject(new TypeError("Failed to fetch")))).toBeNull();
  });
});

describe("getting the token", () => {
  const env = (apiKey: string | null, naaSupported = true) => ({ microsoft: APP, naaSupported, ssoAvailable: true, apiKey });

  it("NAA: a silent token, one MSAL client for every request", async () => {
    const client = naa(async () => "naa-token");
    const d = deps(client, true);
    const credentials = new Credentials(env("sw_key"), d);
    expect(await credentials.bearer()).toBe("naa-token");
    expect(await credentials.bearer()).toBe("naa-token");
    expect(d.createNaa).toHaveBeenCalledTimes(1);
    expect(d.createNaa).toHaveBeenCalledWith(APP);
    expect(client.acquireTokenSilent).toHaveBeenCalledWith({ scopes: APP.scopes });
    expect(client.acquireTokenPopup).not.toHaveBeenCalled();
  });

  it("NAA in the pane: a popup when the silent call needs the user", async () => {
    const client = naa(() => Promise.reject(new Error("InteractionRequiredAuthError")), async () => "after-consent");
    expect(await new Credentials(env(null), deps(client, true)).bearer()).toBe("after-consent");
  });

  it("NAA on send: never a popup; the API key stands in, with the reason kept", async () => {
    const client = naa(() => Promise.reject(new Error("InteractionRequiredAuthError")));
    const credentials = new Credentials(env("sw_key"), deps(client, false));
    expect(await credentials.bearer()).toBe("sw_key");
    expect(client.acquireTokenPopup).not.toHaveBeenCalled();
    expect(credentials.fallbackReason).toBe("InteractionRequiredAuthError");
  });

  it("a failed sign-in without an API key is an error that says why", async () => {
    const credentials = new Credentials(env(null), deps(null, true));
    await expect(credentials.bearer()).rejects.toThrow(new SignInError("NAA unavailable"));
  });

  it("SSO where NAA is missing: prompts only in the pane", async () => {
    const sso = vi.fn(async () => "sso-token");
    expect(await new Credentials(env(null, false), deps(null, true, sso)).bearer()).toBe("sso-token");
    expect(sso).toHaveBeenLastCalledWith({ allowSignInPrompt: true, allowConsentPrompt: true });
    expect(await new Credentials(env(null, false), deps(null, false, sso)).bearer()).toBe("sso-token");
    expect(sso).toHaveBeenLastCalledWith({ allowSignInPrompt: false, allowConsentPrompt: false });
  });

  it("the API key alone when the server has no app registration", async () => {
    const d = deps(naa(async () => "unused"), true);
    const credentials = new Credentials({ microsoft: null, naaSupported: true, ssoAvailable: true, apiKey: "sw_key" }, d);
    expect(credentials.method).toBe("apiKey");
    expect(await credentials.bearer()).toBe("sw_key");
    expect(d.createNaa).not.toHaveBeenCalled();
  });
});

describe("through the on-send check and the pane", () => {
  it("on send, the analysis carries the NAA token", async () => {
    vi.useFakeTimers();
    try {
      const s = standIn({ to: "anna@mueller-leuchten.de", subject: "Offer", body: "Dear Anna, ..." });
      s.office.context.requirements = { isSetSupported: (name) => name === "NestedAppAuth" };
      const seen: Record<string, string | undefined> = {};
      const fetch = vi.fn(async (url: string, init: RequestInit) => {
        if (url.endsWith("/api/v1/signin")) return jsonResponse({ microsoft: APP });
        seen[url.split("/api/v1/")[1]] = (init.headers as Record<string, string>).Authorization;
        return url.endsWith("/analyze") ? jsonResponse(report({ verdict: "ok" })) : jsonResponse({ created: true }, 201);
      });
      const signIn = deps(naa(async () => "naa-token"), false);
      const handler = createOnMessageSendHandler({ office: s.office, defaultBase: "https://sendwise.example", fetch, signIn });
      const completed = vi.fn();
      const done = handler({ completed });
      await vi.advanceTimersByTimeAsync(DEADLINE_MS + 1000);
      await done;
      expect(completed).toHaveBeenCalledWith({ allowEvent: true });
      expect(seen).toEqual({ analyze: "Bearer naa-token", sent: "Bearer naa-token" });
    } finally {
      vi.useRealTimers();
    }
  });

  it("the pane shows the server's reason when the organisation is not set up", async () => {
    const s = standIn({ to: "anna@mueller.de", subject: "Offer", body: "Dear Anna" });
    s.office.context.requirements = { isSetSupported: () => false };
    const reason = "sendwise is not set up for your organisation (Microsoft tenant 0b1c2d3e-4f50-4617-8899-aabbccddeeff); ask your administrator";
    const headers: (string | undefined)[] = [];
    const fetch = vi.fn(async (url: string, init?: RequestInit) => {
      if (url.endsWith("/api/v1/signin")) return jsonResponse({ microsoft: APP });
      headers.push((init?.headers as Record<string, string>).Authorization);
      return jsonResponse({ error: { code: "not_set_up", message: reason } }, 403);
    });
    const auth = { getAccessToken: vi.fn(async () => "sso-token") };
    const controller = new PaneController({ office: s.office, defaultBase: "http://server", fetch, pollMs: 60_000, auth });
    render(createElement(FluentProvider, { theme: webLightTheme }, createElement(Pane, { controller })));
    await act(async () => {
      controller.start();
      for (let i = 0; i < 10; i++) await flush();
    });
    controller.stop();
    expect(controller.getState().error).toMatchObject({ kind: "auth", code: "not_set_up" });
    expect(screen.getByText(reason, { exact: false })).toBeTruthy();
    expect(headers).toContain("Bearer sso-token");
    expect(auth.getAccessToken).toHaveBeenCalledWith({ allowSignInPrompt: true, allowConsentPrompt: true });
  });
});
