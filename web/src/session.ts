// Who is calling and the typed API client for them. Locally the "user" box names the caller
// (X-Dev-User, which only the local stack reads); deployed, the merchant's login hands a bearer
// token in, and X-Dev-User is never sent. Sections listen for a change of caller to reload.

import { createPaykassmaClient, type PaykassmaClient } from "../../clients/typescript/src/index.ts";

import type { PageConfig } from "./config.ts";

export class Session {
  readonly config: PageConfig;
  private user = "";
  private token = "";
  private current: PaykassmaClient;
  private readonly listeners: (() => void)[] = [];

  constructor(config: PageConfig, user: string) {
    this.config = config;
    this.user = user.trim();
    this.current = this.makeClient();
  }

  get api(): PaykassmaClient {
    return this.current;
  }

  /** Whether a request can name a caller yet (deployed: not before the login gave a token). */
  get ready(): boolean {
    return this.config.mode === "local" ? this.user !== "" : this.token !== "";
  }

  get whoIsMissing(): string {
    return this.config.mode === "local" ? "Enter a user name above." : "Sign in: the page has no token yet.";
  }

  setUser(user: string): void {
    if (this.config.mode !== "local" || user.trim() === this.user) return;
    this.user = user.trim();
    // devUser is fixed per client, so a new caller gets a new client.
    this.current = this.makeClient();
    this.changed();
  }

  setToken(token: string): void {
    if (token.trim() === this.token) return;
    this.token = token.trim();
    this.changed();
  }

  onChange(listener: () => void): void {
    this.listeners.push(listener);
  }

  private changed(): void {
    for (const listener of this.listeners) listener();
  }

  private makeClient(): PaykassmaClient {
    const baseUrl = this.config.apiBase;
    if (this.config.mode === "local") return createPaykassmaClient({ baseUrl, devUser: this.user });
    // A function, so a token replaced by the login is used from the next request on.
    return createPaykassmaClient({ baseUrl, token: () => this.token || undefined });
  }
}
