import { EventEmitter } from 'node:events';

import { LoggerService } from '@nestjs/common';

import { logQueueErrors, QUEUE_ERROR_QUIET_MS } from './queue-errors';

describe('logQueueErrors', () => {
  afterEach(() => jest.useRealTimers());

  const logged = () => {
    const warn = jest.fn();
    return { warn, logger: { warn, log: jest.fn(), error: jest.fn() } as unknown as LoggerService };
  };

  it('takes the errors BullMQ would print as stack traces, and logs one line per quiet period counting the rest', () => {
    jest.useFakeTimers({ now: 0 });
    const queue = new EventEmitter();
    const { warn, logger } = logged();
    logQueueErrors(queue, logger, 'queue mail');

    for (let attempt = 0; attempt < 5; attempt++) queue.emit('error', new Error('connect ECONNREFUSED'));
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn).toHaveBeenLastCalledWith(
      { source: 'queue mail', err: 'connect ECONNREFUSED', unlogged_since_last: 0 },
      'queue mail: connect ECONNREFUSED',
    );

    jest.setSystemTime(QUEUE_ERROR_QUIET_MS);
    queue.emit('error', new Error('connect ECONNREFUSED'));
    expect(warn).toHaveBeenCalledTimes(2);
    expect(warn).toHaveBeenLastCalledWith(expect.objectContaining({ unlogged_since_last: 4 }), expect.any(String));
  });
});
