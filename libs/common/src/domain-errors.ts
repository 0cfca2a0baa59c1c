/** Errors services throw; the api's one exception filter turns each into its status and `{error, details}`. */
export abstract class DomainError extends Error {
  abstract readonly status: number;

  constructor(
    message: string,
    readonly details: string | Record<string, unknown> | null = null,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class BadRequestError extends DomainError {
  readonly status = 400;
}

export class UnauthorizedError extends DomainError {
  readonly status = 401;
}

export class ForbiddenError extends DomainError {
  readonly status = 403;
}

export class NotFoundError extends DomainError {
  readonly status = 404;
}

export class ConflictError extends DomainError {
  readonly status = 409;
}

export class PayloadTooLargeError extends DomainError {
  readonly status = 413;
}

export class UnsupportedMediaTypeError extends DomainError {
  readonly status = 415;
}

export class UnprocessableError extends DomainError {
  readonly status = 422;
}

export class TooManyRequestsError extends DomainError {
  readonly status = 429;

  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message, { retry_after_seconds: retryAfterSeconds });
  }
}

export class ServiceUnavailableError extends DomainError {
  readonly status = 503;
}
