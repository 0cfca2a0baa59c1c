import { Batcher } from './batcher';

describe('Batcher', () => {
  it('runs a lone call by itself and answers each call of a batch with its own outcome', async () => {
    const runs: number[][] = [];
    const batcher = new Batcher<number, number>(
      async (calls) => {
        runs.push(calls);
        return calls.map((n) => (n < 0 ? new Error(`negative ${n}`) : n * 2));
      },
      { maxBatch: 3, concurrency: 1, maxWaiting: 10 },
    );
    expect(await batcher.call(1)).toBe(2);
    const answers = await Promise.allSettled([2, -3, 4, 5].map((n) => batcher.call(n)));
    expect(answers.map((answer) => (answer.status === 'fulfilled' ? answer.value : answer.reason.message))).toEqual([
      4,
      'negative -3',
      8,
      10,
    ]);
    expect(runs).toEqual([[1], [2, -3, 4], [5]]);
  });

  it('fails every call of a run that throws, and keeps serving', async () => {
    let fail = true;
    const batcher = new Batcher<number, number>(
      async (calls) => {
        if (fail) throw new Error('down');
        return calls;
      },
      { maxBatch: 10, concurrency: 2, maxWaiting: 10 },
    );
    const outcomes = await Promise.allSettled([batcher.call(1), batcher.call(2)]);
    expect(outcomes).toEqual(Array(2).fill({ status: 'rejected', reason: new Error('down') }));
    fail = false;
    expect(await batcher.call(3)).toBe(3);
  });

  it('refuses calls with 503 while maxWaiting calls already wait, and serves again once they ran', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const batcher = new Batcher<number, number>(
      async (calls) => {
        await held;
        return calls;
      },
      { maxBatch: 1, concurrency: 1, maxWaiting: 2 },
    );
    const running = batcher.call(1);
    await new Promise((resolve) => setImmediate(resolve));
    const waiting = [batcher.call(2), batcher.call(3)];
    await expect(batcher.call(4)).rejects.toMatchObject({ status: 503 });
    release();
    expect(await Promise.all([running, ...waiting])).toEqual([1, 2, 3]);
    expect(await batcher.call(5)).toBe(5);
  });

  it('fails the calls of a run that answers fewer outcomes than calls, rather than leave them undefined', async () => {
    const batcher = new Batcher<number, number>(async (calls) => calls.slice(1), {
      maxBatch: 10,
      concurrency: 1,
      maxWaiting: 10,
    });
    const outcomes = await Promise.allSettled([batcher.call(1), batcher.call(2)]);
    expect(outcomes).toEqual(Array(2).fill({ status: 'rejected', reason: new Error('a batch of 2 answered 1') }));
  });
});
