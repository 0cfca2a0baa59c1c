import { Injectable } from '@nestjs/common';

/** What closing needs of a BullMQ worker. */
interface Closable {
  close(): Promise<void>;
}

/**
 * Closes every processor's BullMQ worker together. Nest destroys modules one after another, so a processor that
 * closed on its own module's turn (mail's comes first) kept the others taking new jobs for as long as its active ones
 * took to finish (a mail waiting its turn behind another, then a slow SMTP server: up to 80 s), which a deploy's
 * grace period then cut short with SIGKILL.
 */
@Injectable()
export class ProcessorsClosing {
  private readonly workers = new Set<Closable>();
  private closing?: Promise<void>;

  register(worker: Closable): void {
    this.workers.add(worker);
  }

  /** Every registered worker takes no new job from now on; resolves once all their active jobs have finished. */
  closeAll(): Promise<void> {
    this.closing ??= Promise.all([...this.workers].map((worker) => worker.close())).then(() => undefined);
    return this.closing;
  }
}
