/** A signal this soon after the first is the same Ctrl-C again: npm forwards to its child what the terminal sent it. */
export const REPEATED_SIGNAL_MS = 2000;

export type StopSignal = 'SIGINT' | 'SIGTERM';

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
