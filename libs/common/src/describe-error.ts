/** node-postgres's words when the server asks for a SCRAM password and none is configured. */
const NO_PASSWORD_FOR_SCRAM = 'client password must be a string';

/** The settings behind a failure whose message names none: a start-up's refused login, or a port already taken. */
const SETTING_TO_CHECK: Record<string, string> = {
  '28P01': 'check the user and password in DATABASE_URL, or DB_USER and DB_PASSWORD',
  '28000': 'check the user in DATABASE_URL, or DB_USER, and what pg_hba.conf lets it do',
  EADDRINUSE: 'another process listens there: set PORT, or LISTEN_HOST, to an address that is free',
};

/**
 * One line for a command's or a start-up's failure: the message, the domain error's details, or for a connection
 * that failed on every address of a host name (Node's AggregateError, whose own message is empty) each address's
 * reason. A PostgreSQL that wants a password the configuration does not give says so in the variables' terms.
 */
export function describeError(error: unknown): string {
  const failure = error as Error & { details?: unknown; errors?: Error[]; code?: string };
  const message =
    failure.message || failure.errors?.map((each) => each.message).join('; ') || failure.code || String(error);
  if (message.includes(NO_PASSWORD_FOR_SCRAM)) {
    return `PostgreSQL asks for a password and none is set: set DB_PASSWORD, or give one in DATABASE_URL (${message})`;
  }
  const hint = failure.code ? SETTING_TO_CHECK[failure.code] : undefined;
  if (hint) return `${message} (${hint})`;
  return failure.details ? `${message} ${JSON.stringify(failure.details)}` : message;
}

/** Errors of the code itself, not of its surroundings: their message alone says nothing of where they came from. */
const PROGRAMMING_ERRORS = [TypeError, ReferenceError, RangeError, SyntaxError];

/**
 * A failed start's or command's report: {@link describeError}'s one line, followed by the stack for an error of the
 * code itself (a TypeError in a provider, say), which an operator passes on to whoever fixes it.
 */
export function describeFailure(error: unknown): string {
  const programming = PROGRAMMING_ERRORS.some((type) => error instanceof type);
  return programming ? `${describeError(error)}\n${(error as Error).stack ?? ''}` : describeError(error);
}
