// The deposit form: amount, and the fields the picked method's flow needs (a redirect method
// needs the URL to come back to, and may take a bank code), or the gateway's payment window.
// It creates the deposit (POST /v1/deposits, one Idempotency-Key per action) and hands the
// answer to the deposit panel.

import type { CreateDeposit, Method } from "../../clients/typescript/src/index.ts";

import { DepositPanel } from "./deposit-panel.ts";
import { byId, el, show } from "./dom.ts";
import { ActionKey } from "./idempotency.ts";
import { limitsText } from "./methods.ts";
import { clearRefusal, field, retryable, settle, showRefusal } from "./refusals.ts";
import type { Session } from "./session.ts";

export class DepositForm {
  private readonly form = byId<HTMLFormElement>("deposit-form");
  private readonly fields = byId("deposit-fields");
  private readonly amount = el("input", {
    id: "amount",
    name: "amount",
    inputmode: "decimal",
    autocomplete: "off",
    required: true,
  });
  private readonly redirectUrl = el("input", { id: "redirect-url", name: "redirect_url", type: "url" });
  private readonly bank = el("input", { id: "bank", name: "bank", maxlength: 3, autocomplete: "off" });
  private readonly window = el("input", { id: "window-mode", name: "mode", type: "checkbox" });
  private readonly submit = el("button", { id: "deposit-submit", type: "submit", disabled: true }, "Deposit");
  private readonly key = new ActionKey();
  private method: Method | undefined;
  private currency = "INR";
  private panel: DepositPanel | undefined;

  constructor(
    private readonly session: Session,
    /** A deposit was made or changed status: balance and history may differ. */
    private readonly onChanged: () => void,
  ) {
    this.redirectUrl.value = location.href.split(/[?#]/)[0] ?? "";
    this.form.addEventListener("submit", (e) => {
      e.preventDefault();
      void this.create();
    });
    this.render();
  }

  /** The method list's pick (undefined: none can be picked for this currency). */
  setMethod(method: Method | undefined, currency: string): void {
    this.method = method;
    this.currency = currency;
    clearRefusal(this.form);
    this.render();
  }

  /** A new caller: the shown deposit is someone else's. */
  reset(): void {
    this.panel?.close();
    this.panel = undefined;
    show(byId("deposit-panel"));
    byId("deposit-panel-section").hidden = true;
  }

  private render(): void {
    const m = this.method;
    this.submit.disabled = !m;
    this.amount.placeholder = m?.min ?? "";
    const redirect = m?.kind === "redirect";
    show(
      this.fields,
      field(`Amount (${this.currency})`, this.amount, "amount", m ? limitsText(m, this.currency) : undefined),
      redirect
        ? field("Come back to (redirect URL)", this.redirectUrl, "redirect_url", "where the provider sends the user after paying")
        : null,
      redirect ? field("Bank code (if the provider asks for one)", this.bank, "bank") : null,
      el(
        "label",
        { class: "check" },
        this.window,
        el("span", null, "Pay in the gateway's payment window instead"),
        el("small", { class: "field-error", "data-error-for": "mode", hidden: true }),
      ),
      this.submit,
    );
  }

  private async create(): Promise<void> {
    const m = this.method;
    if (!m) return;
    const body: CreateDeposit = { wallet_type: m.wallet_type, amount: this.amount.value.trim(), currency: this.currency };
    if (m.kind === "redirect") {
      if (this.redirectUrl.value.trim()) body.redirect_url = this.redirectUrl.value.trim();
      if (this.bank.value.trim()) body.bank = this.bank.value.trim();
    }
    if (this.window.checked) body.mode = "window";
    const key = this.key.for(body);
    this.submit.disabled = true;
    this.submit.textContent = "Creating the deposit…";
    const result = await settle(
      this.session.api.POST("/v1/deposits", { params: { header: { "Idempotency-Key": key } }, body }),
    );
    this.submit.disabled = false;
    this.submit.textContent = "Deposit";
    if (!result.ok) {
      if (!retryable(result.status)) this.key.finish();
      showRefusal(this.form, result);
      return;
    }
    this.key.finish();
    clearRefusal(this.form);
    this.panel?.close();
    this.panel = new DepositPanel(this.session, result.data, byId("deposit-panel"), this.onChanged);
    const section = byId("deposit-panel-section");
    section.hidden = false;
    section.scrollIntoView({ block: "nearest" });
    this.onChanged();
  }
}
