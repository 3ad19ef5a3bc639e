// The caller's balances by currency (GET /v1/balance): reloaded when the caller changes and
// after anything that moves money (a credited deposit, a withdrawal).

import { byId, el, show } from "./dom.ts";
import { settle, showRefusal } from "./refusals.ts";
import type { Session } from "./session.ts";

export class BalancePanel {
  private readonly root = byId("balance");

  constructor(private readonly session: Session) {
    byId("balance-refresh").addEventListener("click", () => void this.load());
  }

  async load(): Promise<void> {
    if (!this.session.ready) {
      show(this.root, el("p", { class: "muted" }, this.session.whoIsMissing));
      return;
    }
    const result = await settle(this.session.api.GET("/v1/balance"));
    if (!result.ok) {
      show(this.root);
      showRefusal(this.root, result);
      return;
    }
    const rows = Object.entries(result.data.balances).sort(([a], [b]) => a.localeCompare(b));
    if (rows.length === 0) {
      show(this.root, el("p", { class: "muted" }, "No money yet: make a deposit."));
      return;
    }
    show(
      this.root,
      el(
        "table",
        { class: "balances" },
        el("thead", null, el("tr", null, el("th", null, "Currency"), el("th", null, "Available"), el("th", null, "Held"))),
        el(
          "tbody",
          null,
          ...rows.map(([currency, b]) =>
            el(
              "tr",
              { "data-currency": currency },
              el("td", null, currency),
              el("td", { class: "amount available" }, b.available),
              el("td", { class: "amount held" }, b.held),
            ),
          ),
        ),
      ),
    );
  }
}
