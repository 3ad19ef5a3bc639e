// The payment methods for a currency (GET /v1/payment-methods) as compact tiles to pick from,
// each with its limits, and below them the picked method's how-to-pay: the flow, the gateway's
// hints, guide and media. Picking one tells the deposit form which fields that flow needs.

import type { Method } from "../../clients/typescript/src/index.ts";

import { byId, el, show } from "./dom.ts";
import { settle, showRefusal } from "./refusals.ts";
import type { Session } from "./session.ts";

const KIND_TEXT: Record<Method["kind"], string> = {
  p2p: "Pay to the UPI id or wallet shown, then enter the transaction number your app gives.",
  qr: "Scan a UPI QR code (on a phone: open your UPI app directly).",
  manual: "Pay to the account shown, then send the transaction number and a screenshot; checked by hand.",
  redirect: "Pay on the provider's page.",
};

export function limitsText(m: { min: string | null; max: string | null }, currency: string): string {
  if (m.min && m.max) return `${m.min} – ${m.max} ${currency}`;
  if (m.min) return `from ${m.min} ${currency}`;
  if (m.max) return `up to ${m.max} ${currency}`;
  return "no limits given";
}

export class MethodList {
  private readonly root = byId("methods");
  private readonly details = byId("method-details");
  private methods: Method[] = [];
  private selected: string | undefined;
  private currency = "INR";

  constructor(
    private readonly session: Session,
    private readonly onSelect: (method: Method | undefined, currency: string) => void,
  ) {}

  get current(): Method | undefined {
    return this.methods.find((m) => m.wallet_type === this.selected);
  }

  async load(currency: string): Promise<void> {
    this.currency = currency;
    show(this.details);
    if (!this.session.ready) {
      this.methods = [];
      show(this.root, el("p", { class: "muted" }, this.session.whoIsMissing));
      this.onSelect(undefined, currency);
      return;
    }
    show(this.root, el("p", { class: "muted" }, "Loading the payment methods…"));
    const result = await settle(this.session.api.GET("/v1/payment-methods", { params: { query: { currency } } }));
    if (currency !== this.currency) return; // a later pick of currency won
    if (!result.ok) {
      this.methods = [];
      show(this.root);
      showRefusal(this.root, result);
      this.onSelect(undefined, currency);
      return;
    }
    // The API sorts by the gateway's order already; sorting again keeps a null order last.
    this.methods = [...result.data.methods].sort((a, b) => (a.order ?? Infinity) - (b.order ?? Infinity));
    if (!this.methods.some((m) => m.wallet_type === this.selected)) this.selected = this.methods[0]?.wallet_type;
    if (this.methods.length === 0) {
      show(this.root, el("p", { class: "muted" }, `No payment method takes ${this.currency} deposits now.`));
    } else {
      show(this.root, ...this.methods.map((m) => this.tile(m)));
    }
    this.picked();
  }

  private picked(): void {
    const m = this.current;
    show(this.details, m ? this.howToPay(m) : null);
    this.onSelect(m, this.currency);
  }

  private tile(m: Method): HTMLElement {
    const radio = el("input", {
      type: "radio",
      name: "wallet_type",
      value: m.wallet_type,
      checked: m.wallet_type === this.selected,
      onchange: () => {
        this.selected = m.wallet_type;
        this.picked();
      },
    });
    const logo = m.logo ? el("img", { class: "logo", src: m.logo, alt: "", width: 24, height: 24 }) : null;
    // A logo that does not load is dropped rather than shown broken.
    logo?.addEventListener("error", () => logo.remove());
    return el(
      "label",
      { class: "method", "data-wallet-type": m.wallet_type, title: m.wallet_type },
      radio,
      logo,
      el(
        "span",
        { class: "method-body" },
        el("strong", null, m.name),
        el("span", { class: "method-limits" }, limitsText(m, this.currency)),
      ),
    );
  }

  private howToPay(m: Method): HTMLElement {
    return el(
      "div",
      { class: "how-to-pay", "data-wallet-type": m.wallet_type },
      el(
        "p",
        null,
        el("strong", null, m.name),
        " ",
        el("code", null, m.wallet_type),
        m.is_manual ? el("span", { class: "tag" }, "checked by hand") : null,
      ),
      el("p", { class: "method-kind" }, KIND_TEXT[m.kind]),
      m.hints.length ? el("ul", { class: "hints" }, ...m.hints.map((h) => el("li", { "data-hint": h.type }, h.text))) : null,
      m.guide_url || m.media_url
        ? el(
            "p",
            { class: "method-links" },
            m.guide_url ? el("a", { href: m.guide_url, target: "_blank", rel: "noopener" }, "How to pay: guide") : null,
            m.media_url ? el("a", { href: m.media_url, target: "_blank", rel: "noopener" }, "How to pay: picture or video") : null,
          )
        : null,
    );
  }
}
