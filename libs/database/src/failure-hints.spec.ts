import { databaseFailureHint } from './failure-hints';

const REACH = ' (is PostgreSQL running there? check DATABASE_URL, or DB_HOST and DB_PORT)';
const MIGRATE =
  ' (if DATABASE_URL, or DB_NAME, names the right database, run the migrations first: `npm run migration:run`, ' +
  'or the CLI’s migrate command)';

const failure = (fields: Record<string, unknown>) => Object.assign(new Error('failed'), fields);

describe('databaseFailureHint', () => {
  it('points at the settings when PostgreSQL was not reached, by any address of its host name', () => {
    expect(databaseFailureHint(failure({ code: 'ECONNREFUSED' }))).toBe(REACH);
    const everyAddress = new AggregateError([failure({ code: 'ECONNREFUSED' }), failure({ code: 'EHOSTUNREACH' })]);
    expect(databaseFailureHint(everyAddress)).toBe(REACH);
    expect(databaseFailureHint(new Error('timeout exceeded when trying to connect'))).toBe(REACH);
    expect(databaseFailureHint(failure({ code: 'ENOTFOUND' }), { migrating: true })).toBe(REACH);
  });

  it('says to migrate first for a missing or unmigrated database, except to migrate itself', () => {
    expect(databaseFailureHint(failure({ code: '3D000' }))).toBe(MIGRATE);
    expect(databaseFailureHint(failure({ code: '42P01' }))).toBe(MIGRATE);
    expect(databaseFailureHint(failure({ code: '3D000' }), { migrating: true })).toBe('');
  });

  it('adds nothing to any other failure', () => {
    for (const error of [failure({ code: '28P01' }), failure({ code: 'EADDRINUSE' }), new TypeError('x'), undefined]) {
      expect(databaseFailureHint(error)).toBe('');
    }
  });
});
