// Watching a deposit or a withdrawal until its status is final: one GET every interval, with a
// visible progress line (checking / last checked / stopped). Bounded, so a tab left open does
// not poll forever; the user can start it again.

import { el, show } from "./dom.ts";
import { showRefusal, type Settled } from "./refusals.ts";

export interface WatchOptions<T> {
  load: () => Promise<Settled<T>>;
  isFinal: (item: T) => boolean;
  render: (item: T) => void;
  /** Where the progress line goes. */
  progress: HTMLElement;
  onFinal?: (item: T) => void;
  intervalMs?: number;
  maxMs?: number;
}

export class Watch<T> {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;
  private started = 0;

  constructor(private readonly options: WatchOptions<T>) {}

  start(): this {
    this.stopped = false;
    this.started = Date.now();
    this.schedule(0);
    return this;
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  /** Checks now (after an activation, say) instead of waiting for the next tick. */
  poke(): void {
    if (this.stopped) this.start();
    else this.schedule(0);
  }

  private schedule(ms: number): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.tick(), ms);
  }

  private async tick(): Promise<void> {
    const { load, isFinal, render, progress, onFinal, intervalMs = 1500, maxMs = 15 * 60_000 } = this.options;
    progress.dataset.state = "checking";
    show(progress, spinner(), el("span", null, "Checking the status…"));
    const result = await load();
    if (this.stopped) return;
    if (!result.ok) {
      // A failed check is shown, and the next one may succeed: keep watching.
      progress.dataset.state = "error";
      show(progress, spinner(), el("span", null, "Could not check the status; retrying."));
      showRefusal(progress, result);
    } else {
      render(result.data);
      if (isFinal(result.data)) {
        this.stopped = true;
        progress.dataset.state = "final";
        show(progress, el("span", null, `Final status, checked ${new Date().toLocaleTimeString()}.`));
        onFinal?.(result.data);
        return;
      }
      progress.dataset.state = "watching";
      show(progress, spinner(), el("span", null, `Watching: checked ${new Date().toLocaleTimeString()}, again every ${intervalMs / 1000} s.`));
    }
    if (Date.now() - this.started > maxMs) {
      this.stopped = true;
      progress.dataset.state = "stopped";
      show(
        progress,
        el("span", null, `Stopped watching after ${Math.round(maxMs / 60_000)} minutes.`),
        el("button", { type: "button", class: "link", onclick: () => this.start() }, "Check again"),
      );
      return;
    }
    this.schedule(intervalMs);
  }
}

function spinner(): HTMLElement {
  return el("span", { class: "spinner", "aria-hidden": "true" });
}
