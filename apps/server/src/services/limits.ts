import type { Config } from '../config.ts';
import { AppError } from './errors.ts';

/** What one user and one request may create: settings of the installation (see config.ts). */
export type Limits = {
  /** Webhooks one user may have (Apify's limit is 100). */
  maxWebhooksPerUser: number;
  /** Dispatches one request may create: a publish, a batch, a broadcast, a bulk redelivery. */
  maxDispatchesPerRequest: number;
};

export function limitsFrom(
  config: Pick<Config, 'MAX_WEBHOOKS_PER_USER' | 'MAX_DISPATCHES_PER_REQUEST'>,
): Limits {
  return {
    maxWebhooksPerUser: config.MAX_WEBHOOKS_PER_USER,
    maxDispatchesPerRequest: config.MAX_DISPATCHES_PER_REQUEST,
  };
}

/** The refusal of a request that would create more dispatches than one request may. */
export function tooManyDispatches(wanted: number, limits: Limits): AppError {
  return new AppError(
    'limit-reached',
    `This request would create ${wanted.toLocaleString('en-US')} dispatches; one request may create at most ` +
      `${limits.maxDispatchesPerRequest.toLocaleString('en-US')} (MAX_DISPATCHES_PER_REQUEST). Nothing was stored: ` +
      'send fewer events per request, or to fewer webhooks.',
  );
}
