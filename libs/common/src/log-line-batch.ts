import { register } from 'on-exit-leak-free';
import pino from 'pino';

/**
 * pino's destination for the apps' logs: gathers lines and writes them to `fd` asynchronously (sonic-boom)
 * `batchLength` characters at a time, whatever is gathered every `flushMs`, and synchronously at the process's exit.
 * sonic-boom's own batching (`minLength`) appends each line to one growing string and measures that string's byte
 * length on every append, which copies the whole batch once per line: about 10 KB of garbage per 370-byte request
 * line, which at load costs an api far more than the line (docs/performance-history.md, round 10).
 */
export class LogLineBatch {
  private lines: string[] = [];
  private length = 0;
  /** `minLength: 1` only so that its `flush(callback)` waits for the write in flight (at 0 it calls back at once). */
  private readonly destination: ReturnType<typeof pino.destination>;

  constructor(
    private readonly fd: number,
    private readonly batchLength: number,
    flushMs: number,
  ) {
    this.destination = pino.destination({ dest: fd, sync: false, minLength: 1 });
    // The interval keeps the batch alive for the process's life, as sonic-boom's periodic flush kept its buffer;
    // on-exit-leak-free installs one exit listener however many loggers the tests create.
    setInterval(() => this.handOver(), flushMs).unref();
    register(this, (batch) => batch.flushSync());
  }

  /** pino's stream interface: one serialised line. */
  write(line: string): void {
    this.lines.push(line);
    this.length += line.length;
    if (this.length >= this.batchLength) this.handOver();
  }

  /** pino's `logger.flush(callback)`: `callback` runs once everything gathered so far is written. */
  flush(callback: (error?: Error) => void): void {
    this.handOver();
    // sonic-boom fsyncs after the write, which a pipe or a terminal (stdout in a container) refuses with EINVAL.
    this.destination.flush((error) =>
      callback((error as NodeJS.ErrnoException)?.code === 'EINVAL' ? undefined : error),
    );
  }

  /**
   * Everything gathered so far, written before this returns. Not handed to the asynchronous destination, which would
   * start a write of it that the exit does not wait for; a batch already in flight is the one thing left to it.
   */
  flushSync(): void {
    this.destination.flushSync();
    const text = this.take();
    if (text) pino.destination({ dest: this.fd, sync: true }).write(text);
  }

  private handOver(): void {
    const text = this.take();
    if (text) this.destination.write(text);
  }

  private take(): string {
    const text = this.lines.join('');
    this.lines = [];
    this.length = 0;
    return text;
  }
}
