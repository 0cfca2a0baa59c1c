/** node-postgres's words when the server asks for a SCRAM password and none is configured. */
const NO_PASSWORD_FOR_SCRAM = 'client password must be a string';

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
  return failure.details ? `${message} ${JSON.stringify(failure.details)}` : message;
}
