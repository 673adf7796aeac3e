/** What the queue's statements return of a webhook whose health they change (operational events). */
export type WebhookColumns = {
  id: string;
  userId: string;
  requestUrl: string;
  state: 'ACTIVE' | 'STOPPED' | 'TOO_MANY_ERRORS';
  description: string | null;
};

/** SQL: WebhookColumns of webhook `alias`. */
export const WEBHOOK_COLUMNS = (alias: string) =>
  `${alias}."id", ${alias}."userId", ${alias}."requestUrl", ${alias}."state"::text AS "state", ${alias}."description"`;
