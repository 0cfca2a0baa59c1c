/** A signal this soon after the first is the same Ctrl-C again: npm forwards to its child what the terminal sent it. */
export const REPEATED_SIGNAL_MS = 2000;

/**
 * Calls `stop` on the first SIGINT or SIGTERM. Another within {@link REPEATED_SIGNAL_MS} is the same Ctrl-C delivered
 * twice (by the terminal to the whole process group, and again by npm or `npm start`'s launcher) and is ignored, as
 * Node's default for it would end the process at once; one that comes later calls `quit`, the operator's "now".
 */
export function onStopSignals(stop: () => void, quit: () => void): void {
  let firstAt: number | undefined;
  const onSignal = () => {
    if (firstAt === undefined) {
      firstAt = performance.now();
      stop();
    } else if (performance.now() - firstAt > REPEATED_SIGNAL_MS) {
      quit();
    }
  };
  process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
}
