import { ArgumentsHost, Logger } from '@nestjs/common';
import { Pool } from 'pg';

import { HttpExceptionFilter } from './http-exception.filter';

/** What the filter answers for `exception`: status, headers and body as Fastify would send them. */
function rendered(exception: unknown) {
  const sent = { status: 0, headers: {} as Record<string, string>, body: undefined as unknown };
  const reply = {
    headers: (headers: Record<string, string>) => Object.assign(sent.headers, headers),
    status: (status: number) => ((sent.status = status), reply),
    send: (body: unknown) => (sent.body = body),
  };
  const request = { is404: false };
  const host = {
    switchToHttp: () => ({ getResponse: () => reply, getRequest: () => request }),
  } as unknown as ArgumentsHost;
  new HttpExceptionFilter().catch(exception, host);
  return sent;
}

describe('HttpExceptionFilter', () => {
  beforeAll(() => Logger.overrideLogger(false));

  it('answers 400, not 500, for a value too long for its column that got past validation', async () => {
    const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 1 });
    try {
      const tooLong = await pool
        .query(`CREATE TEMP TABLE short_text (v varchar(2)); INSERT INTO short_text VALUES ('abc')`)
        .catch((error: unknown) => error);
      expect(rendered(tooLong)).toEqual({
        status: 400,
        headers: {},
        body: {
          error: 'Validation failed.',
          details: { non_field_errors: ['A value is longer than its field allows.'] },
        },
      });
    } finally {
      await pool.end();
    }
  });

  it('answers an unexpected error with 500 and an error id to quote, never its message or stack', () => {
    const answer = rendered(new Error('secret detail at /srv/app.js:1'));
    expect(answer).toEqual({
      status: 500,
      headers: {},
      body: { error: 'Internal server error.', details: { error_id: expect.stringMatching(/^[0-9a-f-]{36}$/) } },
    });
    expect(JSON.stringify(answer.body)).not.toContain('secret');
  });
});
