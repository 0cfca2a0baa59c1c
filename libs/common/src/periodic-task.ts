/**
 * Runs `run` every `everyMs`, never twice at once: a tick that finds the last run still going is skipped. A failed
 * run goes to `onError` and the next tick tries again. `stop()` clears the timer, aborts the signal the run was
 * given (a long run may check it between steps) and resolves once the run in flight has ended.
 */
export class PeriodicTask {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private readonly stopping = new AbortController();

  constructor(
    private readonly run: (signal: AbortSignal) => Promise<unknown>,
    private readonly everyMs: number,
    private readonly onError: (error: Error) => void,
  ) {}

  /** With `now`, the first run starts at once rather than a period from now. */
  start({ now = false } = {}): void {
    if (now) this.tick();
    this.timer = setInterval(() => this.tick(), this.everyMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.stopping.abort();
    await this.running;
  }

  private tick(): void {
    if (this.running || this.stopping.signal.aborted) return;
    this.running = this.run(this.stopping.signal)
      .then(() => undefined, this.onError)
      .finally(() => (this.running = undefined));
  }
}
