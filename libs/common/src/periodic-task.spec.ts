import { setTimeout as sleep } from 'node:timers/promises';

import { PeriodicTask } from './periodic-task';

describe('PeriodicTask', () => {
  it('never starts a run while the last one is still going', async () => {
    let running = 0;
    let most = 0;
    let runs = 0;
    const task = new PeriodicTask(
      async () => {
        runs++;
        most = Math.max(most, ++running);
        await sleep(30);
        running--;
      },
      5,
      (error) => {
        throw error;
      },
    );
    task.start({ now: true });
    await sleep(100);
    await task.stop();
    expect(runs).toBeGreaterThan(1);
    expect(most).toBe(1);
  });

  it('on stop aborts the run in flight and resolves only once it has ended', async () => {
    const steps: string[] = [];
    const task = new PeriodicTask(
      async (stopping) => {
        while (!stopping.aborted) await sleep(5);
        await sleep(20);
        steps.push('run ended');
      },
      60_000,
      (error) => {
        throw error;
      },
    );
    task.start({ now: true });
    await sleep(10);
    await task.stop();
    steps.push('stopped');
    await sleep(30);
    expect(steps).toEqual(['run ended', 'stopped']);
  });

  it('hands a failed run to onError and runs again at the next tick', async () => {
    const errors: string[] = [];
    let runs = 0;
    const task = new PeriodicTask(
      async () => {
        runs++;
        throw new Error(`run ${runs} failed`);
      },
      10,
      (error) => errors.push(error.message),
    );
    task.start();
    await sleep(55);
    await task.stop();
    expect(runs).toBeGreaterThan(1);
    expect(errors.slice(0, 2)).toEqual(['run 1 failed', 'run 2 failed']);
  });
});
