'use client';

import type { WebhookNotification } from '@ricochet/schema';
import { useQuery } from '@tanstack/react-query';
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card';
import { Skeleton } from '@/components/ui/skeleton';
import { formatDateTime, formatRelative } from '@/lib/format';
import { useTRPC } from '@/lib/trpc';

/** What happened, in a few words, from the operational event's type and data. */
function describe(notification: WebhookNotification): { title: string; detail: string | null; tone: string } {
  const data = notification.eventData as Record<string, unknown>;
  const last = [
    data.lastResponseStatus != null ? `HTTP ${data.lastResponseStatus}` : null,
    typeof data.lastError === 'string' ? data.lastError : null,
  ]
    .filter(Boolean)
    .join(' · ');
  switch (notification.eventType) {
    case 'ricochet.webhook.failing':
      return {
        title:
          data.reason === 'NO_RESPONSE'
            ? `Failing: ${data.failures} calls in a row got no response`
            : `Failing: ${data.failures} dispatches in a row failed`,
        detail: last || null,
        tone: 'text-amber-700 dark:text-amber-400',
      };
    case 'ricochet.webhook.disabled':
      return {
        title:
          data.reason === 'GONE'
            ? 'Stopped: the receiver answered 410 Gone'
            : `Disabled: ${data.failedDispatches} dispatches in a row failed`,
        detail: last || null,
        tone: 'text-destructive',
      };
    case 'ricochet.webhook.recovered':
      return {
        title: 'Recovered: delivering again',
        detail: `failing since ${formatDateTime(String(data.failingSince))}`,
        tone: 'text-emerald-700 dark:text-emerald-400',
      };
    case 'ricochet.webhook.enabled':
      return { title: `Switched on (was ${data.previousState})`, detail: null, tone: '' };
    case 'ricochet.webhook.updated':
      return {
        title: 'Changed',
        detail: Array.isArray(data.changed) ? data.changed.join(', ') : null,
        tone: 'text-muted-foreground',
      };
    case 'ricochet.webhook.secret_rotated':
      return {
        title: 'Secret rotated',
        detail: data.previousSecretExpiresAt
          ? `the old one signs until ${formatDateTime(String(data.previousSecretExpiresAt))}`
          : 'the old one stopped at once',
        tone: 'text-muted-foreground',
      };
    case 'ricochet.webhook.created':
      return { title: 'Created', detail: null, tone: 'text-muted-foreground' };
    default:
      return { title: notification.eventType, detail: null, tone: '' };
  }
}

/**
 * The webhook's recent changes (its operational events: failing, disabled, recovered, switched on,
 * changed), newest first, whether or not a webhook subscribes to them.
 */
export function NotificationsPanel({ webhookId }: { webhookId: string }) {
  const trpc = useTRPC();
  const notifications = useQuery(
    trpc.webhooks.notifications.queryOptions(
      { webhookId, query: { limit: 10 } },
      { refetchInterval: 10_000 },
    ),
  );
  return (
    <Card data-testid="notifications">
      <CardHeader>
        <CardTitle>Notifications</CardTitle>
        <CardDescription>
          What happened to this webhook. A webhook subscribed to the <code>ricochet.webhook.*</code> event
          types receives the same.
        </CardDescription>
      </CardHeader>
      <CardContent>
        {notifications.isPending ? (
          <Skeleton className="h-16 w-full" />
        ) : notifications.error ? (
          <p className="text-sm text-destructive">
            Could not load notifications: {notifications.error.message}
          </p>
        ) : notifications.data.items.length === 0 ? (
          <p className="text-sm text-muted-foreground">Nothing yet.</p>
        ) : (
          <ol className="grid gap-3">
            {notifications.data.items.map((notification) => {
              const { title, detail, tone } = describe(notification);
              return (
                <li key={notification.id} className="grid gap-0.5 text-sm">
                  <span className={`font-medium ${tone}`}>{title}</span>
                  {detail && <span className="break-words text-xs text-muted-foreground">{detail}</span>}
                  <time
                    className="text-xs text-muted-foreground"
                    dateTime={notification.createdAt}
                    title={formatDateTime(notification.createdAt)}
                  >
                    {formatRelative(notification.createdAt)}
                  </time>
                </li>
              );
            })}
          </ol>
        )}
      </CardContent>
    </Card>
  );
}
