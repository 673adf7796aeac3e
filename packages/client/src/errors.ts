import type { ErrorType } from '@ricochet/schema';

/**
 * The API's error types (`record-not-found`, `rate-limit-exceeded`, ...), plus two the client itself
 * reports: `network-error` when no answer arrived (status 0) and `unexpected-response` when the answer
 * was not the API's `{"error": {"type", "message"}}` envelope (a proxy's HTML page, say).
 */
export type RicochetErrorType = ErrorType | 'network-error' | 'unexpected-response';

/** Every failure of a client call: the API's error type, the HTTP status (0: no answer) and message. */
export class RicochetError<Type extends RicochetErrorType = RicochetErrorType> extends Error {
  override name = 'RicochetError';
  readonly type: Type;
  readonly status: number;
  /** Seconds the server asked to wait (429, 503), when it said. */
  readonly retryAfterSeconds: number | undefined;
  /** Attempts made, retries included. */
  readonly attempts: number;

  constructor(args: {
    type: Type;
    status: number;
    message: string;
    retryAfterSeconds?: number | undefined;
    attempts?: number;
    cause?: unknown;
  }) {
    super(args.message, args.cause === undefined ? undefined : { cause: args.cause });
    this.type = args.type;
    this.status = args.status;
    this.retryAfterSeconds = args.retryAfterSeconds;
    this.attempts = args.attempts ?? 1;
  }
}

/**
 * Whether `error` is a RicochetError, optionally of one type; narrows either way:
 * `if (isRicochetError(error, 'record-not-found')) return undefined;`
 */
export function isRicochetError<Type extends RicochetErrorType = RicochetErrorType>(
  error: unknown,
  type?: Type,
): error is RicochetError<Type> {
  return error instanceof RicochetError && (type === undefined || error.type === type);
}
