// Typed application errors. Services throw these; http/error-handler.ts and the CLI decide how
// to show them. `expose` says whether the message is safe to show to whoever made the request.
export class AppError extends Error {
  readonly status: number;
  readonly code: string;
  readonly expose: boolean;
  /** The app the failed request was for, when known: an error page may offer to go back to it. */
  readonly app: { name: string; clientUri?: string | undefined; registeredRedirectUri?: string | undefined } | undefined;

  constructor(message: string, options: {
    status: number; code: string; expose?: boolean; cause?: unknown; app?: AppError['app'];
  }) {
    super(message, { cause: options.cause });
    this.name = new.target.name;
    this.status = options.status;
    this.code = options.code;
    this.expose = options.expose ?? options.status < 500;
    this.app = options.app;
  }
}

export class ValidationError extends AppError {
  /** Field by field, for JSON APIs: the field's path (`redirect_uris.0`) and what is wrong with it. */
  readonly fields: Record<string, string> | undefined;

  constructor(message: string, options: { cause?: unknown; fields?: Record<string, string> } = {}) {
    super(message, { status: 400, code: 'invalid_input', cause: options.cause });
    this.fields = options.fields;
  }
}

export class ConflictError extends AppError {
  constructor(message: string) {
    super(message, { status: 409, code: 'conflict' });
  }
}

export class NotFoundError extends AppError {
  constructor(message: string) {
    super(message, { status: 404, code: 'not_found' });
  }
}

export class ForbiddenError extends AppError {
  constructor(message: string) {
    super(message, { status: 403, code: 'forbidden' });
  }
}

/** The database or cache did not answer; the request can be retried. */
export class StorageUnavailableError extends AppError {
  constructor(cause: unknown) {
    super('Storage is unavailable, try again shortly', { status: 503, code: 'temporarily_unavailable', cause, expose: true });
  }
}

/** Too much work queued (e.g. password hashing under a sign-in flood); the request can be retried. */
export class BusyError extends AppError {
  constructor(message: string) {
    super(message, { status: 503, code: 'temporarily_unavailable', expose: true });
  }
}

/**
 * Mail could not be handed to the mail server after the configured retries. The message is safe
 * to show; the transport's own error (host, SMTP reply) stays in `cause` and the log.
 */
export class MailDeliveryError extends AppError {
  constructor(cause: unknown) {
    super('We could not send the email right now. Please try again in a few minutes.', {
      status: 503, code: 'temporarily_unavailable', cause, expose: true,
    });
  }
}

/** A rate limit refused the request; it may be retried after retryAfterSeconds. */
export class RateLimitedError extends AppError {
  readonly retryAfterSeconds: number;

  constructor(message: string, retryAfterSeconds: number) {
    super(message, { status: 429, code: 'too_many_requests', expose: true });
    this.retryAfterSeconds = retryAfterSeconds;
  }
}
