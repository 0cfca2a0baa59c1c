import { setImmediate } from 'node:timers';

import { ServiceUnavailableError } from './domain-errors';

/** What a batch run answers for each of its calls, in order: a value, or that call's own error. */
export type BatchOutcome<Result> = Result | Error;

interface Waiting<Call, Result> {
  call: Call;
  resolve: (result: Result) => void;
  reject: (error: Error) => void;
}

/**
 * Runs concurrent calls together: at most `concurrency` runs are in flight, and calls that arrive meanwhile
 * wait and go together, up to `maxBatch`, in the next run. There is no timer: at low load a run is one call
 * and nothing waits, and a call always joins a run that starts after it arrived, never one already under way.
 */
export class Batcher<Call, Result> {
  private readonly waiting: Waiting<Call, Result>[] = [];
  private inFlight = 0;
  private scheduled = false;

  constructor(
    private readonly run: (calls: Call[]) => Promise<BatchOutcome<Result>[]>,
    private readonly limits: { maxBatch: number; concurrency: number; maxWaiting: number },
  ) {}

  /**
   * Refused at once (503) when `maxWaiting` calls already wait: a stalled database must not queue requests
   * without bound, to be carried out long after their clients gave up.
   */
  call(call: Call): Promise<Result> {
    if (this.waiting.length >= this.limits.maxWaiting) {
      return Promise.reject(new ServiceUnavailableError('The service is overloaded; retry shortly.'));
    }
    return new Promise((resolve, reject) => {
      this.waiting.push({ call, resolve, reject });
      if (this.scheduled) return;
      this.scheduled = true;
      setImmediate(() => this.drain());
    });
  }

  private drain(): void {
    this.scheduled = false;
    while (this.inFlight < this.limits.concurrency && this.waiting.length > 0) {
      const batch = this.waiting.splice(0, this.limits.maxBatch);
      this.inFlight++;
      void this.runBatch(batch).finally(() => {
        this.inFlight--;
        this.drain();
      });
    }
  }

  private async runBatch(batch: Waiting<Call, Result>[]): Promise<void> {
    try {
      const outcomes = await this.run(batch.map((waiting) => waiting.call));
      if (outcomes.length !== batch.length) throw new Error(`a batch of ${batch.length} answered ${outcomes.length}`);
      batch.forEach((waiting, index) => {
        const outcome = outcomes[index];
        if (outcome instanceof Error) waiting.reject(outcome);
        else waiting.resolve(outcome);
      });
    } catch (error) {
      for (const waiting of batch) waiting.reject(error as Error);
    }
  }
}
