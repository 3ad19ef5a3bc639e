// One deposit after it was created: how to pay it (by its flow: UPI QR with app buttons on a
// phone, the UPI id / wallet to pay with the transaction-number form, the same with a
// screenshot for manual methods, the provider's page, or the payment window), and its status
// watched until final (GET /v1/deposits/{id}), savings included.

import type { Activation, Deposit } from "../../clients/typescript/src/index.ts";

import { el, show } from "./dom.ts";
import { clearRefusal, field, settle, showRefusal } from "./refusals.ts";
import type { Session } from "./session.ts";
import { depositStatus } from "./statuses.ts";
import { Watch } from "./watch.ts";

const SCREENSHOT_MAX_BYTES = 200 * 1024; // openapi.yaml: ActivateDepositForm.screenshot

export class DepositPanel {
  private readonly status = el("div", { id: "deposit-status", class: "status-line" });
  private readonly progress = el("p", { id: "deposit-progress", class: "progress" });
  /** The activation's answer (P2P and manual), kept in sight after the payment part is put away. */
  private readonly answer = el("p", { id: "activation", class: "activation", hidden: true });
  /** How to pay: put away once the status is final, when there is nothing left to pay. */
  private payment: HTMLElement | null = null;
  private readonly watch: Watch<Deposit>;

  constructor(
    private readonly session: Session,
    private deposit: Deposit,
    root: HTMLElement,
    onChanged: () => void,
  ) {
    const d = deposit;
    this.payment = this.howToPay();
    show(
      root,
      el(
        "article",
        { class: "deposit", "data-id": d.id, "data-kind": d.kind ?? "" },
        el("h3", null, `Deposit of ${d.amount ?? "?"} ${d.currency}`),
        el("p", { class: "muted small" }, `${d.wallet_type} · id `, el("code", null, d.id)),
        this.status,
        this.answer,
        this.progress,
        this.payment,
      ),
    );
    this.renderStatus(d);
    this.watch = new Watch<Deposit>({
      load: () => settle(this.session.api.GET("/v1/deposits/{id}", { params: { path: { id: d.id } } })),
      isFinal: (x) => depositStatus(x.status).final,
      render: (x) => {
        if (x.status !== this.deposit.status) onChanged();
        this.renderStatus(x);
      },
      progress: this.progress,
    }).start();
  }

  close(): void {
    this.watch.stop();
  }

  private renderStatus(d: Deposit): void {
    this.deposit = d;
    if (this.payment) this.payment.hidden = depositStatus(d.status).final;
    this.status.dataset.status = d.status;
    show(
      this.status,
      el(
        "p",
        null,
        el("span", { class: `badge status-${d.status}` }, d.status),
        " ",
        el("span", { class: "status-text" }, depositStatus(d.status).text),
      ),
      d.credited_amount ? el("p", { class: "credited" }, `Credited: ${d.credited_amount} ${d.currency}`) : null,
      d.savings
        ? el(
            "p",
            { class: "savings" },
            `Savings for ${d.savings.wallet_type}: ${d.savings.saved} ${d.savings.currency} saved, ` +
              `${d.savings.missing} missing to reach the minimum of ${d.savings.minimum}.`,
          )
        : null,
      // Credited says it all; the gateway's last word before that ("being checked") would not.
      d.message && d.status !== "credited" ? el("p", { class: "muted small gateway-message" }, `Gateway: ${d.message}`) : null,
    );
  }

  private howToPay(): HTMLElement | null {
    const d = this.deposit;
    if (d.payment_url) {
      return el(
        "section",
        { class: "pay pay-window" },
        el("p", null, "Pay in the gateway's payment window; this page shows the status meanwhile."),
        el("a", { id: "open-window", class: "button", href: d.payment_url, target: "_blank", rel: "noopener" }, "Open the payment window"),
      );
    }
    switch (d.kind) {
      case "qr":
        return this.qr();
      case "p2p":
      case "manual":
        return this.payTo(d.kind === "manual");
      case "redirect":
        return el(
          "section",
          { class: "pay pay-redirect" },
          d.redirect_url
            ? el("a", { id: "follow-redirect", class: "button", href: d.redirect_url, rel: "noopener" }, "Continue to the payment page")
            : el("p", null, "The gateway gave no page to open; this page shows the status as it changes."),
        );
      default:
        return null;
    }
  }

  private qr(): HTMLElement {
    const { qr, deep_links: links, amount, currency } = this.deposit;
    // Phone-only (CSS): on the phone itself a QR cannot be scanned, an app link can be followed.
    const apps = links
      ? el(
          "div",
          { class: "deep-links phone-only" },
          el("p", null, "Or pay with an app on this phone:"),
          el("a", { class: "button", id: "pay-paytm", href: links.paytm }, "Paytm"),
          el("a", { class: "button", id: "pay-phonepe", href: links.phonepe }, "PhonePe"),
          el("a", { class: "button", id: "pay-gpay", href: links.gpay }, "Google Pay"),
          el("a", { class: "button", id: "pay-upi", href: links.generic }, "Other UPI app"),
        )
      : null;
    return el(
      "section",
      { class: "pay pay-qr" },
      el("p", null, `Scan with any UPI app to pay ${amount ?? ""} ${currency}:`),
      qr?.svg_data_url
        ? el("img", { id: "qr", class: "qr", src: qr.svg_data_url, alt: "UPI QR code", width: 220, height: 220 })
        : el("p", { class: "refusal" }, "The deposit's answer has no QR image."),
      qr ? el("p", { class: "muted small upi-data" }, qr.data) : null,
      apps,
    );
  }

  private payTo(manual: boolean): HTMLElement {
    const d = this.deposit;
    const utr = el("input", { id: "utr", name: "key1", inputmode: "numeric", autocomplete: "off", required: true });
    const screenshot = manual ? el("input", { id: "screenshot", name: "screenshot", type: "file", accept: "image/*" }) : null;
    const submit = el("button", { id: "activate-submit", type: "submit" }, "I have paid: confirm");
    const upi = d.wallet_type.startsWith("upi") || d.wallet_type === "paytm" || d.wallet_type === "phone_pe";
    const form = el(
      "form",
      { id: "activate-form", class: "stack", novalidate: true },
      field(
        upi ? "UTR (12-digit transaction number)" : "Transaction number",
        utr,
        "key1",
        upi ? "shown by your UPI app after the payment" : undefined,
      ),
      screenshot ? field("Screenshot of the receipt", screenshot, "screenshot", "an image, up to 200 KiB") : null,
      submit,
    );
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      void this.activate(form, submit, utr.value.trim(), screenshot?.files?.[0]);
    });
    return el(
      "section",
      { class: "pay pay-p2p" },
      el("p", null, `Pay exactly ${d.amount ?? ""} ${d.currency} to:`),
      el(
        "p",
        { class: "pay-to" },
        el("code", { id: "pay-to" }, d.pay_to ?? "(the gateway gave no account)"),
        d.pay_to
          ? el("button", { type: "button", class: "link", onclick: () => void navigator.clipboard?.writeText(d.pay_to ?? "") }, "Copy")
          : null,
      ),
      el("p", { class: "muted small" }, "Then enter the transaction number your app shows" + (manual ? " and a screenshot of the receipt." : ".")),
      form,
    );
  }

  private async activate(
    form: HTMLFormElement,
    submit: HTMLButtonElement,
    key1: string,
    screenshot: File | undefined,
  ): Promise<void> {
    clearRefusal(form);
    if (screenshot && screenshot.size > SCREENSHOT_MAX_BYTES) {
      showRefusal(form, { status: 413, body: { error: { code: "too_large", message: "the screenshot is over 200 KiB", fields: { screenshot: "up to 200 KiB" } } } });
      return;
    }
    submit.disabled = true;
    const path = { id: this.deposit.id };
    const result = await settle<Activation>(
      screenshot
        ? this.session.api.POST("/v1/deposits/{id}/activate", {
            params: { path },
            body: { key1 },
            // multipart/form-data (the document's second body) carries the file; the browser
            // sets the boundary.
            bodySerializer: () => {
              const data = new FormData();
              data.append("key1", key1);
              data.append("screenshot", screenshot, screenshot.name);
              return data;
            },
          })
        : this.session.api.POST("/v1/deposits/{id}/activate", { params: { path }, body: { key1 } }),
    );
    submit.disabled = false;
    if (!result.ok) {
      showRefusal(form, result);
      return;
    }
    this.answer.hidden = false;
    this.answer.dataset.status = result.data.status;
    show(
      this.answer,
      "Activation: ",
      el("span", { class: `badge status-${result.data.status}` }, result.data.status),
      " ",
      result.data.message,
    );
    this.watch.poke();
  }
}
