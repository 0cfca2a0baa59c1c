import { describeError } from './describe-error';

/** A signal this soon after the first is the same Ctrl-C again: npm forwards to its child what the terminal sent it. */
export const REPEATED_SIGNAL_MS = 2000;

export type StopSignal = 'SIGINT' | 'SIGTERM';

/** What a Ctrl-C's first stop says: the same key, a few seconds later, does not wait. */
export const QUIT_AT_ONCE_HINT = '(press Ctrl-C again, a few seconds later, to quit at once)';

/** What a SIGTERM's first stop says, for an operator whose stop seems to hang (a closing that waits on Redis). */
const QUIT_ON_TERM_AGAIN_HINT = '(send SIGTERM again, a few seconds later, to quit at once)';

/** The status a process ended by `signal` exits with, as a shell reports it (128 + its number). */
export const exitStatusOf = (signal: StopSignal): number => (signal === 'SIGINT' ? 130 : 143);

/**
 * Calls `stop` on the first SIGINT or SIGTERM. Another within {@link REPEATED_SIGNAL_MS} is the same Ctrl-C delivered
 * twice (by the terminal to the whole process group, and again by npm or `npm start`'s launcher) and is ignored, as
 * Node's default for it would end the process at once; one that comes later calls `quit`, the operator's "now"
 * (by default, exit as a process the signal ended).
 */
export function onStopSignals(
  stop: (signal: StopSignal) => void,
  quit: (signal: StopSignal) => void = (signal) => process.exit(exitStatusOf(signal)),
): void {
  let firstAt: number | undefined;
  const onSignal = (signal: StopSignal) => {
    if (firstAt === undefined) {
      firstAt = performance.now();
      stop(signal);
    } else if (performance.now() - firstAt > REPEATED_SIGNAL_MS) {
      quit(signal);
    }
  };
  process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
}

/**
 * A long-running app's stop: on the first signal, `announce` it (with how to quit at once) and
 * `close`, then exit 0, or 1 naming why closing failed; a later signal quits at once ({@link onStopSignals}). Exiting,
 * rather than re-raising the signal, lets the log batch write the lines it still holds on 'exit'.
 */
export function closeOnStopSignals(
  announce: (signal: StopSignal, hint: string) => void,
  close: () => Promise<void>,
): void {
  onStopSignals((signal) => {
    announce(signal, ` ${signal === 'SIGINT' ? QUIT_AT_ONCE_HINT : QUIT_ON_TERM_AGAIN_HINT}`);
    close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(`shutdown failed: ${describeError(error)}`);
        process.exit(1);
      },
    );
  });
}
