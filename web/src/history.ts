// The caller's history, newest first: deposits (GET /v1/deposits) and withdrawals
// (GET /v1/withdrawals) in every status with an optional status filter, and the ledger
// (GET /v1/ledger) of money that moved. Each page's next_cursor loads the next ("More").

import type { Deposit, LedgerEntry, Withdrawal } from "../../clients/typescript/src/index.ts";

import { byId, el, show, when } from "./dom.ts";
import { settle, showRefusal, type Settled } from "./refusals.ts";
import type { Session } from "./session.ts";
import { DEPOSIT_STATUS, WITHDRAWAL_STATUS, type DepositStatus, type WithdrawalStatus } from "./statuses.ts";

type List = "deposits" | "withdrawals" | "ledger";
type Page = { rows: HTMLElement[]; next: string | undefined };

export class History {
  private readonly list = byId<HTMLSelectElement>("history-list");
  private readonly status = byId<HTMLSelectElement>("history-status");
  private readonly rows = byId("history-rows");
  private readonly more = byId<HTMLButtonElement>("history-more");
  private cursor: string | undefined;
  /** Bumped by every reload, so a page that arrives after the list changed is dropped. */
  private generation = 0;

  constructor(private readonly session: Session) {
    this.list.addEventListener("change", () => {
      this.fillStatuses();
      void this.reload();
    });
    this.status.addEventListener("change", () => void this.reload());
    this.more.addEventListener("click", () => void this.page(this.generation));
    byId("history-refresh").addEventListener("click", () => void this.reload());
    this.fillStatuses();
  }

  async reload(): Promise<void> {
    this.generation += 1;
    this.cursor = undefined;
    show(this.rows);
    this.more.hidden = true;
    if (!this.session.ready) {
      show(this.rows, el("li", { class: "muted" }, this.session.whoIsMissing));
      return;
    }
    await this.page(this.generation);
  }

  private fillStatuses(): void {
    const kind = this.list.value as List;
    const statuses = kind === "deposits" ? Object.keys(DEPOSIT_STATUS) : kind === "withdrawals" ? Object.keys(WITHDRAWAL_STATUS) : [];
    this.status.hidden = statuses.length === 0;
    show(this.status, el("option", { value: "" }, "every status"), ...statuses.map((s) => el("option", { value: s }, s)));
  }

  private async page(generation: number): Promise<void> {
    this.more.disabled = true;
    const result = await this.fetchPage(this.list.value as List, this.status.value, this.cursor);
    this.more.disabled = false;
    if (generation !== this.generation) return;
    if (!result.ok) {
      showRefusal(this.rows, result);
      return;
    }
    const { rows, next } = result.data;
    if (rows.length === 0 && !this.cursor) this.rows.append(el("li", { class: "muted" }, "Nothing yet."));
    this.rows.append(...rows);
    this.cursor = next;
    this.more.hidden = !next;
  }

  private async fetchPage(list: List, status: string, cursor: string | undefined): Promise<Settled<Page>> {
    const api = this.session.api;
    const paging = { limit: 10, ...(cursor ? { cursor } : {}) };
    if (list === "deposits") {
      const query = { ...paging, ...(status ? { status: status as DepositStatus } : {}) };
      const r = await settle(api.GET("/v1/deposits", { params: { query } }));
      return r.ok ? { ...r, data: { rows: r.data.deposits.map(depositRow), next: r.data.next_cursor } } : r;
    }
    if (list === "withdrawals") {
      const query = { ...paging, ...(status ? { status: status as WithdrawalStatus } : {}) };
      const r = await settle(api.GET("/v1/withdrawals", { params: { query } }));
      return r.ok ? { ...r, data: { rows: r.data.withdrawals.map(withdrawalRow), next: r.data.next_cursor } } : r;
    }
    const r = await settle(api.GET("/v1/ledger", { params: { query: paging } }));
    return r.ok ? { ...r, data: { rows: r.data.entries.map(ledgerRow), next: r.data.next_cursor } } : r;
  }
}

function row(id: string, main: (string | HTMLElement)[], detail: string): HTMLElement {
  return el("li", { class: "row", "data-id": id }, el("span", { class: "row-main" }, ...main), el("small", { class: "muted" }, detail));
}

function depositRow(d: Deposit): HTMLElement {
  return row(
    d.id,
    [el("span", { class: `badge status-${d.status}` }, d.status), ` ${d.amount ?? "?"} ${d.currency} · ${d.wallet_type}`],
    `${when(d.created_at)} · ${d.id}`,
  );
}

function withdrawalRow(w: Withdrawal): HTMLElement {
  return row(
    w.id,
    [el("span", { class: `badge status-${w.status}` }, w.status), ` ${w.amount} ${w.currency} · ${w.payment_system}`],
    `${when(w.created_at)} · ${w.id}${w.message ? ` · ${w.message}` : ""}`,
  );
}

const LEDGER_KIND: Record<LedgerEntry["kind"], string> = {
  deposit_credit: "deposit",
  withdrawal_debit: "withdrawal",
  withdrawal_refund: "refund",
};

function ledgerRow(e: LedgerEntry): HTMLElement {
  const sign = e.amount.startsWith("-") ? "debit" : "credit";
  return row(
    e.id,
    [el("span", { class: `amount ${sign}` }, `${sign === "credit" ? "+" : ""}${e.amount} ${e.currency}`), ` ${LEDGER_KIND[e.kind] ?? e.kind}`],
    `${when(e.created_at)} · ${e.reference}`,
  );
}
