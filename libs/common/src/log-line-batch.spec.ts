import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import pino from 'pino';

import { LogLineBatch } from './log-line-batch';

describe('LogLineBatch', () => {
  const line = (n: number) => `{"n":${n}}\n`; // 8 characters for n < 10

  function recording() {
    const writes: string[] = [];
    const destination = {
      write: (text: string) => writes.push(text) > 0,
      flush: (callback: () => void) => callback(),
      flushSync: jest.fn(),
    };
    return { writes, destination };
  }

  afterEach(() => jest.useRealTimers());

  it('writes lines together and in order once they reach the batch size', () => {
    const { writes, destination } = recording();
    const batch = new LogLineBatch(destination, 24, 250);
    batch.write(line(1));
    batch.write(line(2));
    expect(writes).toEqual([]);
    batch.write(line(3));
    batch.write(line(4));
    expect(writes).toEqual([line(1) + line(2) + line(3)]);
  });

  it('writes what it gathered every flush interval, and nothing when there is nothing', () => {
    jest.useFakeTimers();
    const { writes, destination } = recording();
    const batch = new LogLineBatch(destination, 4096, 250);
    batch.write(line(1));
    jest.advanceTimersByTime(249);
    expect(writes).toEqual([]);
    jest.advanceTimersByTime(1);
    expect(writes).toEqual([line(1)]);
    jest.advanceTimersByTime(1000);
    expect(writes).toEqual([line(1)]);
  });

  it("hands what it gathered to the destination on pino's flush, then calls back", async () => {
    const { writes, destination } = recording();
    const batch = new LogLineBatch(destination, 4096, 250);
    const logger = pino({}, batch);
    logger.info('one');
    logger.info('two');
    expect(writes).toEqual([]);
    await new Promise<void>((resolve, reject) => logger.flush((error) => (error ? reject(error) : resolve())));
    expect(writes.join('').match(/"msg":"(one|two)"/g)).toEqual(['"msg":"one"', '"msg":"two"']);
  });

  it('flushSync writes every gathered line to the file before it returns', () => {
    const directory = mkdtempSync(join(tmpdir(), 'evently-log-'));
    const file = join(directory, 'out.log');
    const fd = openSync(file, 'w');
    try {
      // A descriptor, as the apps' stdout is: the destination is ready at once.
      const destination = pino.destination({ dest: fd, sync: false });
      // Nothing is handed over before flushSync: an asynchronous write in flight is sonic-boom's to finish.
      const batch = new LogLineBatch(destination, 4096, 250);
      const lines = Array.from({ length: 50 }, (_unused, n) => line(n));
      for (const text of lines) batch.write(text);
      batch.flushSync();
      expect(readFileSync(file, 'utf8')).toBe(lines.join(''));
    } finally {
      closeSync(fd);
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
