import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import pino from 'pino';

import { eventually } from '@evently/testing';

import { LogLineBatch } from './log-line-batch';

describe('LogLineBatch', () => {
  const line = (n: number) => `{"n":${n}}\n`; // 8 characters for n < 10
  let directory: string;
  let file: string;
  let fd: number;

  beforeEach(() => {
    directory = mkdtempSync(join(tmpdir(), 'evently-log-'));
    file = join(directory, 'out.log');
    fd = openSync(file, 'w');
  });
  afterEach(() => {
    closeSync(fd);
    rmSync(directory, { recursive: true, force: true });
  });

  const written = () => readFileSync(file, 'utf8');
  const flushed = (batch: LogLineBatch) =>
    new Promise<void>((resolve, reject) => batch.flush((error) => (error ? reject(error) : resolve())));
  /** Waits up to 2 s for the file to satisfy `done`; the assertion after it shows what was written if it never did. */
  const writtenUntil = (done: (text: string) => boolean) =>
    eventually(async () => (done(written()) ? true : undefined), 2000, 10).catch(() => undefined);

  it('writes lines together and in order once they reach the batch length', async () => {
    const batch = new LogLineBatch(fd, 24, 60_000);
    batch.write(line(1));
    batch.write(line(2));
    await sleep(50);
    expect(written()).toBe('');
    batch.write(line(3));
    batch.write(line(4));
    await writtenUntil((text) => text === line(1) + line(2) + line(3));
    expect(written()).toBe(line(1) + line(2) + line(3));
    await flushed(batch);
  });

  it('writes what it gathered every flush interval', async () => {
    const batch = new LogLineBatch(fd, 4096, 20);
    batch.write(line(1));
    expect(written()).toBe('');
    await writtenUntil((text) => text === line(1));
    expect(written()).toBe(line(1));
  });

  it("calls pino's flush back once the lines are written", async () => {
    const batch = new LogLineBatch(fd, 4096, 60_000);
    const logger = pino({ base: null, timestamp: false }, batch);
    logger.info('one');
    logger.info('two');
    await flushed(batch);
    expect(written()).toBe('{"level":30,"msg":"one"}\n{"level":30,"msg":"two"}\n');
  });

  it('calls back without an error where the file cannot be synced (a pipe, a terminal, /dev/null)', async () => {
    const nullFd = openSync('/dev/null', 'w');
    try {
      const batch = new LogLineBatch(nullFd, 4096, 60_000);
      batch.write(line(1));
      await flushed(batch);
    } finally {
      closeSync(nullFd);
    }
  });

  it('flushSync writes every gathered line before it returns', () => {
    const batch = new LogLineBatch(fd, 4096, 60_000);
    const lines = Array.from({ length: 50 }, (_unused, n) => line(n));
    for (const text of lines) batch.write(text);
    batch.flushSync();
    expect(written()).toBe(lines.join(''));
  });

  it('flushSync leaves a batch already on its way to its own write, and loses nothing', async () => {
    const batch = new LogLineBatch(fd, 24, 60_000);
    const lines = Array.from({ length: 5 }, (_unused, n) => line(n));
    for (const text of lines) batch.write(text); // lines 0-2 are handed over; 3-4 are gathered
    batch.flushSync();
    expect(written()).toContain(line(3) + line(4));
    // Which lands first is the thread pool's business (docs/operations.md): both do.
    await writtenUntil((text) => text.length >= lines.join('').length);
    expect(written().split('\n').sort()).toEqual(lines.join('').split('\n').sort());
  });
});
