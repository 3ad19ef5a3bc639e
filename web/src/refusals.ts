// How an API call ends and how a refusal is shown: the error body's message next to the field
// it names (error.fields), with its request id in small print for support. Our envelope and
// API Gateway's {"message"} are both read by the client's errorView; a fetch that throws
// (offline, blocked) is shown the same way, with no request id.

import { errorView } from "../../clients/typescript/src/index.ts";

import { el } from "./dom.ts";

export type Settled<D> =
  | { ok: true; data: D; response: Response }
  | { ok: false; status: number | null; body: unknown };

/** Awaits an openapi-fetch call; never throws. */
export async function settle<D>(
  call: Promise<{ data?: D; error?: unknown; response: Response }>,
): Promise<Settled<D>> {
  try {
    const r = await call;
    if (r.response.ok && r.error === undefined) return { ok: true, data: r.data as D, response: r.response };
    return { ok: false, status: r.response.status, body: r.error };
  } catch (e) {
    const message = `the API could not be reached (${e instanceof Error ? e.message : String(e)})`;
    return { ok: false, status: null, body: { error: { code: "network", message } } };
  }
}

/**
 * Whether the same request may be sent again with the same Idempotency-Key: it may never have
 * arrived (network), or the server asks for a retry (409 in flight, 429, 5xx). Anything else is
 * a final answer, and the next attempt is a new user action with a new key.
 */
export function retryable(status: number | null): boolean {
  return status === null || status === 409 || status === 429 || status >= 500;
}

/** Removes the refusals a previous attempt showed inside `scope`. */
export function clearRefusal(scope: Element): void {
  for (const box of scope.querySelectorAll(".refusal")) box.remove();
  for (const slot of scope.querySelectorAll<HTMLElement>("[data-error-for]")) {
    slot.textContent = "";
    slot.hidden = true;
  }
  for (const input of scope.querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
}

/**
 * Shows a refusal inside `scope`: each problem in the slot of the field it names
 * (`[data-error-for=NAME]`), and the message with its request id right after the first named
 * field, or at the end of `scope` when no field of the form is named.
 */
export function showRefusal(scope: Element, failed: { status: number | null; body: unknown }): void {
  clearRefusal(scope);
  const view = errorView(failed.body);
  let message = view.message;
  if (view.code === "unreadable" && failed.status !== null) message += ` (HTTP ${failed.status})`;
  const box = el(
    "div",
    { class: "refusal", role: "alert", "data-code": view.code },
    el("span", { class: "refusal-message" }, message),
    view.requestId ? el("small", { class: "request-id" }, `request id ${view.requestId}`) : null,
  );
  let anchor: Element | null = null;
  for (const [field, problem] of Object.entries(view.fields)) {
    const slot = scope.querySelector<HTMLElement>(`[data-error-for="${CSS.escape(field)}"]`);
    if (!slot) {
      box.append(el("span", { class: "refusal-field" }, `${field}: ${problem}`));
      continue;
    }
    slot.textContent = problem;
    slot.hidden = false;
    scope.querySelector(`[name="${CSS.escape(field)}"]`)?.setAttribute("aria-invalid", "true");
    anchor ??= slot.closest(".field") ?? slot;
  }
  if (anchor) anchor.after(box);
  else scope.append(box);
}

/** A label, an input and the slot its refusals go to; `name` is the API's field name. */
export function field(label: string, input: HTMLElement, name: string, hint?: string): HTMLElement {
  return el(
    "label",
    { class: "field" },
    el("span", { class: "field-label" }, label),
    input,
    hint ? el("small", { class: "field-hint" }, hint) : null,
    el("small", { class: "field-error", "data-error-for": name, hidden: true }),
  );
}
