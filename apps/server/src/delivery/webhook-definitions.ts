import type { Sql } from '../db/sql.ts';
import { type DeliveryWebhook, type PreparedWebhook, prepareWebhook } from '../outbound/payload.ts';

/** What a delivery needs of its webhook, as of one version of the webhook. */
export type WebhookDefinition = {
  version: number;
  webhook: PreparedWebhook & { doNotRetry: boolean; ignoreSslErrors: boolean };
  /** In a run of failures (failingSince): its next success is reported (`ricochet.webhook.recovered`). */
  failing: boolean;
  /** Calls carry their attempt span's traceparent (when tracing is on). */
  propagateTraceContext: boolean;
  /** Every secret with its expiry, newest first; liveSecrets picks those still signing. */
  secrets: Array<{ secret: string; expiresAt: Date | null }>;
};

/** Definitions kept at most; past this the cache starts over (a worker of a huge installation). */
const MAX_CACHED = 10_000;

/**
 * The worker's cache of webhook definitions (URL, templates parsed once, static headers, secrets).
 * A claim names each dispatch's webhook version (Webhook.version, bumped by a trigger on any change
 * of the webhook or its secrets), so a definition is used only at the version the database has: no
 * delivery is ever rendered from a stale definition, and the claim itself carries no templates or
 * secrets. Misses are fetched in one query per claim.
 */
export class WebhookDefinitions {
  private readonly cached = new Map<string, WebhookDefinition>();

  constructor(private readonly sql: Sql) {}

  /** The definitions of these webhooks at these versions (a webhook deleted meanwhile is missing). */
  async get(wanted: Array<{ webhookId: string; version: number }>): Promise<Map<string, WebhookDefinition>> {
    const missing = new Set<string>();
    for (const { webhookId, version } of wanted) {
      if (this.cached.get(webhookId)?.version !== version) missing.add(webhookId);
    }
    if (missing.size > 0) await this.fetch([...missing]);
    return this.cached;
  }

  private async fetch(ids: string[]): Promise<void> {
    const rows = await this.sql.query<
      DeliveryWebhook & {
        version: number;
        doNotRetry: boolean;
        ignoreSslErrors: boolean;
        failing: boolean;
        propagateTraceContext: boolean;
        secrets: Array<{ secret: string; expiresAt: string | null }>;
      }
    >(
      `SELECT w."id", w."version", w."requestUrl", w."payloadTemplate", w."headersTemplate",
        w."shouldInterpolateStrings", w."headers", w."properties", w."doNotRetry", w."ignoreSslErrors",
        w."failingSince" IS NOT NULL AS "failing", w."propagateTraceContext",
        COALESCE((SELECT json_agg(json_build_object('secret', s."secret", 'expiresAt', s."expiresAt")
                         ORDER BY s."createdAt" DESC, s."id" DESC)
                  FROM "WebhookSecret" s WHERE s."webhookId" = w."id"), '[]'::json) AS "secrets"
      FROM "Webhook" w WHERE w."id" = ANY($1::text[])`,
      [ids],
      'ricochet_webhook_definitions',
    );
    if (this.cached.size + rows.length > MAX_CACHED) this.cached.clear();
    for (const {
      version,
      secrets,
      doNotRetry,
      ignoreSslErrors,
      failing,
      propagateTraceContext,
      ...webhook
    } of rows) {
      this.cached.set(webhook.id, {
        version,
        failing,
        propagateTraceContext,
        webhook: { ...prepareWebhook(webhook), doNotRetry, ignoreSslErrors },
        secrets: secrets.map((entry) => ({
          secret: entry.secret,
          // json_build_object writes a timestamp(3) without its zone: it is UTC.
          expiresAt: entry.expiresAt === null ? null : new Date(`${entry.expiresAt}Z`),
        })),
      });
    }
  }
}

/** The secrets that sign a call made at `now`, newest first. */
export function liveSecrets(definition: WebhookDefinition, now: Date): string[] {
  return definition.secrets
    .filter((entry) => entry.expiresAt === null || entry.expiresAt > now)
    .map((entry) => entry.secret);
}
