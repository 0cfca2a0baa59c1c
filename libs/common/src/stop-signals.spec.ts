import { exitStatusOf, onStopSignals, REPEATED_SIGNAL_MS } from './stop-signals';

describe('onStopSignals', () => {
  const listeners = { SIGINT: process.listeners('SIGINT'), SIGTERM: process.listeners('SIGTERM') };
  let now = 0;

  beforeEach(() => {
    now = 1000;
    jest.spyOn(performance, 'now').mockImplementation(() => now);
  });
  afterEach(() => {
    jest.restoreAllMocks();
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.removeAllListeners(signal);
      for (const listener of listeners[signal]) process.on(signal, listener);
    }
  });

  it('stops on the first signal, ignores the same Ctrl-C delivered again, and quits on a later one', () => {
    const stop = jest.fn();
    const quit = jest.fn();
    onStopSignals(stop, quit);

    process.emit('SIGINT', 'SIGINT');
    now += 50;
    process.emit('SIGTERM', 'SIGTERM');
    now += REPEATED_SIGNAL_MS;
    expect([stop.mock.calls, quit.mock.calls]).toEqual([[['SIGINT']], []]);

    now += 1;
    process.emit('SIGINT', 'SIGINT');
    expect(quit.mock.calls).toEqual([['SIGINT']]);
  });

  it('exits as a shell reports a process ended by the signal', () => {
    expect([exitStatusOf('SIGINT'), exitStatusOf('SIGTERM')]).toEqual([130, 143]);
  });
});
