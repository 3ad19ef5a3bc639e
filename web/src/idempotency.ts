// One Idempotency-Key per user action. Pressing the button again after a failure that may not
// have reached the server (see refusals.retryable) resends the same request with the same key,
// so a deposit or a withdrawal is never made twice; a changed form or a final answer starts a
// new action with a new key.

import { newIdempotencyKey } from "../../clients/typescript/src/index.ts";

export class ActionKey {
  private pending: { request: string; key: string } | undefined;

  /** The key for sending `request`: the pending one when it is the same request, else a new one. */
  for(request: unknown): string {
    const text = JSON.stringify(request);
    if (this.pending?.request !== text) this.pending = { request: text, key: newIdempotencyKey() };
    return this.pending.key;
  }

  /** The action got its final answer: the next request is a new action. */
  finish(): void {
    this.pending = undefined;
  }
}
