// Requesting a withdrawal: the payout methods for a currency (GET /v1/payout-methods) with their
// limits, each asking for exactly the account fields it needs; POST /v1/withdrawals with one
// Idempotency-Key per action; then the withdrawal's status (GET /v1/withdrawals/{id}).

import type { CreateWithdrawal, Schemas, Withdrawal } from "../../clients/typescript/src/index.ts";

import { byId, el, show } from "./dom.ts";
import { ActionKey } from "./idempotency.ts";
import { limitsText } from "./methods.ts";
import { clearRefusal, field, retryable, settle, showRefusal } from "./refusals.ts";
import type { Session } from "./session.ts";
import { withdrawalStatus } from "./statuses.ts";
import { Watch } from "./watch.ts";

type PayoutMethod = Schemas["PayoutMethod"];
type PayoutFieldName = Schemas["PayoutField"]["name"];

const FIELD_LABEL: Record<PayoutFieldName, string> = {
  account_number: "Account number",
  account_name: "Account holder's name",
  account_email: "Account e-mail",
  receiver_name: "Receiver's name",
  bank_code: "Bank code (IFSC)",
  branch_code: "Branch code",
};

export class WithdrawalForm {
  private readonly form = byId<HTMLFormElement>("withdrawal-form");
  private readonly result = byId("withdrawal-result");
  private readonly key = new ActionKey();
  private methods: PayoutMethod[] = [];
  private method: PayoutMethod | undefined;
  private currency = "INR";
  private inputs = new Map<PayoutFieldName, HTMLInputElement>();
  private readonly amount = el("input", { id: "withdrawal-amount", name: "amount", inputmode: "decimal", autocomplete: "off", required: true });
  private readonly submit = el("button", { id: "withdrawal-submit", type: "submit" }, "Withdraw");
  private watch: Watch<Withdrawal> | undefined;

  constructor(
    private readonly session: Session,
    /** A withdrawal was made or changed status: balance and history may differ. */
    private readonly onChanged: () => void,
  ) {
    this.form.addEventListener("submit", (e) => {
      e.preventDefault();
      void this.create();
    });
  }

  reset(): void {
    this.watch?.stop();
    show(this.result);
  }

  async load(currency: string): Promise<void> {
    this.currency = currency;
    this.methods = [];
    this.method = undefined;
    if (!this.session.ready) {
      show(this.form, el("p", { class: "muted" }, this.session.whoIsMissing));
      return;
    }
    show(this.form, el("p", { class: "muted" }, "Loading the payout methods…"));
    const result = await settle(this.session.api.GET("/v1/payout-methods", { params: { query: { currency } } }));
    if (currency !== this.currency) return;
    if (!result.ok) {
      show(this.form);
      showRefusal(this.form, result);
      return;
    }
    this.methods = result.data.methods;
    this.method = this.methods[0];
    this.render();
  }

  private render(): void {
    if (!this.method) {
      show(this.form, el("p", { class: "muted" }, `No payout method pays out ${this.currency} now.`));
      return;
    }
    const m = this.method;
    const select = el(
      "select",
      {
        id: "payout-method",
        name: "payment_system",
        onchange: () => {
          this.method = this.methods.find((x) => x.payment_system === select.value);
          this.render();
        },
      },
      ...this.methods.map((x) => el("option", { value: x.payment_system, selected: x === m }, x.payment_system)),
    );
    // Keep what was typed when the user switches between methods sharing a field.
    const previous = this.inputs;
    this.inputs = new Map();
    const accountFields = m.fields.map((f) => {
      const input = el("input", {
        id: `payout-${f.name}`,
        name: f.name,
        autocomplete: "off",
        required: f.required,
        type: f.name === "account_email" ? "email" : "text",
      });
      input.value = previous.get(f.name)?.value ?? "";
      this.inputs.set(f.name, input);
      const label = (FIELD_LABEL[f.name] ?? f.name) + (f.required ? "" : " (optional)");
      return field(label, input, f.name, f.format ?? undefined);
    });
    this.amount.inputMode = m.whole_amounts ? "numeric" : "decimal";
    show(
      this.form,
      field("Payout method", select, "payment_system"),
      field(
        `Amount (${this.currency})`,
        this.amount,
        "amount",
        limitsText(m, this.currency) + (m.whole_amounts ? ", whole units only" : ""),
      ),
      ...accountFields,
      this.submit,
    );
  }

  private async create(): Promise<void> {
    const m = this.method;
    if (!m) return;
    const body: CreateWithdrawal = {
      payment_system: m.payment_system as CreateWithdrawal["payment_system"],
      amount: this.amount.value.trim(),
      currency: this.currency,
    };
    for (const [name, input] of this.inputs) {
      if (input.value.trim()) body[name] = input.value.trim();
    }
    const key = this.key.for(body);
    this.submit.disabled = true;
    const result = await settle(
      this.session.api.POST("/v1/withdrawals", { params: { header: { "Idempotency-Key": key } }, body }),
    );
    this.submit.disabled = false;
    if (!result.ok) {
      if (!retryable(result.status)) this.key.finish();
      showRefusal(this.form, result);
      return;
    }
    this.key.finish();
    clearRefusal(this.form);
    this.onChanged(); // debited at once
    this.follow(result.data);
  }

  private follow(w: Withdrawal): void {
    this.watch?.stop();
    const status = el("div", { id: "withdrawal-status", class: "status-line" });
    const progress = el("p", { id: "withdrawal-progress", class: "progress" });
    const render = (x: Withdrawal): void => {
      status.dataset.status = x.status;
      show(
        status,
        el("p", null, el("span", { class: `badge status-${x.status}` }, x.status), " ", el("span", { class: "status-text" }, withdrawalStatus(x.status).text)),
        x.message ? el("p", { class: "muted small gateway-message" }, x.message) : null,
      );
    };
    show(
      this.result,
      el(
        "article",
        { class: "withdrawal", "data-id": w.id },
        el("h3", null, `Withdrawal of ${w.amount} ${w.currency}`),
        el("p", { class: "muted small" }, `${w.payment_system} · id `, el("code", null, w.id)),
        status,
        progress,
      ),
    );
    render(w);
    let last = w.status;
    // Slower than a deposit: payouts take minutes to days.
    this.watch = new Watch<Withdrawal>({
      load: () => settle(this.session.api.GET("/v1/withdrawals/{id}", { params: { path: { id: w.id } } })),
      isFinal: (x) => withdrawalStatus(x.status).final,
      render: (x) => {
        render(x);
        // A rejection refunds; any change shows in the history.
        if (x.status !== last) this.onChanged();
        last = x.status;
      },
      progress,
      intervalMs: 3000,
    }).start();
  }
}
