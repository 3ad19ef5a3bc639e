// The checkout page's start: reads ./config.json, sets up who is calling (the "user" box
// locally, a bearer token deployed), wires the sections together, and exposes
// window.paykassmaCheckout for the host page (setToken after the merchant's login).

import "./app.css";

import { BalancePanel } from "./balance.ts";
import { loadConfig } from "./config.ts";
import { DepositForm } from "./deposit-form.ts";
import { byId, el, show } from "./dom.ts";
import { History } from "./history.ts";
import { MethodList } from "./methods.ts";
import { Session } from "./session.ts";
import { WithdrawalForm } from "./withdrawal.ts";

export interface CheckoutHandle {
  /** Deployed: the merchant login's JWT; sent as `Authorization: Bearer` from the next request on. */
  setToken(token: string): void;
}

declare global {
  interface Window {
    paykassmaCheckout?: CheckoutHandle;
  }
}

// Defined at once, before ./config.json is read, so a host page may call it as early as it likes.
let earlyToken: string | undefined;
window.paykassmaCheckout = {
  setToken(token: string) {
    earlyToken = token;
  },
};

async function start(): Promise<void> {
  const config = await loadConfig();
  const local = config.mode === "local";
  document.documentElement.dataset.mode = config.mode;
  byId("mode").textContent = local ? "local stack" : "deployed";

  // Local only: ?user=NAME presets the user box (handy for links and demos).
  const session = new Session(config, local ? (new URLSearchParams(location.search).get("user") ?? "alice") : "");
  identityBox(session);
  if (local && config.sandboxBase) {
    show(
      byId("footer"),
      "Local stack: payments are played at the Paykassma sandbox ",
      el("code", null, config.sandboxBase),
      " (its /_sandbox/ routes, infra/sandbox/README.md).",
    );
  }

  const balance = new BalancePanel(session);
  const history = new History(session);
  const refreshAccount = (): void => {
    void balance.load();
    void history.reload();
  };
  const deposit = new DepositForm(session, refreshAccount);
  const methods = new MethodList(session, (m, currency) => deposit.setMethod(m, currency));
  const withdrawal = new WithdrawalForm(session, refreshAccount);
  const currency = byId<HTMLSelectElement>("currency");
  const loadAll = (): void => {
    void methods.load(currency.value);
    void withdrawal.load(currency.value);
    refreshAccount();
  };
  currency.addEventListener("change", () => {
    void methods.load(currency.value);
    void withdrawal.load(currency.value);
  });
  session.onChange(() => {
    deposit.reset();
    withdrawal.reset();
    loadAll();
  });

  window.paykassmaCheckout = {
    setToken(token: string) {
      if (local) console.warn("paykassmaCheckout.setToken: ignored in local mode (the user box names the caller)");
      else session.setToken(token);
    },
  };
  if (earlyToken !== undefined) window.paykassmaCheckout.setToken(earlyToken);
  loadAll();
  document.documentElement.dataset.ready = "true";
}

/** Locally a user name (X-Dev-User); deployed a token field, for when no host page calls setToken. */
function identityBox(session: Session): void {
  const form = byId<HTMLFormElement>("identity");
  const local = session.config.mode === "local";
  const input = local
    ? el("input", { id: "user", name: "user", autocomplete: "off", value: new URLSearchParams(location.search).get("user") ?? "alice" })
    : el("input", { id: "token", name: "token", type: "password", autocomplete: "off", placeholder: "the merchant login's token" });
  const apply = (): void => (local ? session.setUser(input.value) : session.setToken(input.value));
  input.addEventListener("change", apply);
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    apply();
  });
  show(
    form,
    el("label", { for: input.id }, local ? "User" : "Token"),
    input,
    el("button", { type: "submit" }, local ? "Switch" : "Use"),
  );
}

void start();
