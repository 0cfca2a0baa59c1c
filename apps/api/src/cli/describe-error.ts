/**
 * One line for a command's failure: the message, the domain error's details, or for a connection that failed on
 * every address of a host name (Node's AggregateError, whose own message is empty) each address's reason.
 */
export function describeError(error: unknown): string {
  const failure = error as Error & { details?: unknown; errors?: Error[]; code?: string };
  const message =
    failure.message || failure.errors?.map((each) => each.message).join('; ') || failure.code || String(error);
  return failure.details ? `${message} ${JSON.stringify(failure.details)}` : message;
}
