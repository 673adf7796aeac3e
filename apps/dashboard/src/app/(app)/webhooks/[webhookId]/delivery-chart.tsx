'use client';

import { useQuery } from '@tanstack/react-query';
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card';
import { Skeleton } from '@/components/ui/skeleton';
import { useTRPC } from '@/lib/trpc';

const SERIES = [
  { key: 'succeeded', label: 'Succeeded', color: 'var(--chart-succeeded)' },
  { key: 'failed', label: 'Failed', color: 'var(--chart-failed)' },
  { key: 'retrying', label: 'Retrying', color: 'var(--chart-retrying)' },
  { key: 'pending', label: 'Pending', color: 'var(--chart-pending)' },
] as const;

const hourLabel = (iso: string) => `${iso.slice(11, 13)}:00`;

/** The chart's query input: the component's, and a page's that prefetches it. */
export function histogramInput(webhookId?: string) {
  return { hours: 24, ...(webhookId && { webhookId }) };
}

/** Dispatches per hour over the last day, from the server's SQL aggregate (never from a list). */
export function DeliveryChart({ webhookId }: { webhookId?: string }) {
  const trpc = useTRPC();
  const histogram = useQuery(
    trpc.insights.histogram.queryOptions(histogramInput(webhookId), { refetchInterval: 10_000 }),
  );
  const totals = SERIES.map(
    (series) =>
      [series.label, histogram.data?.reduce((sum, bucket) => sum + bucket[series.key], 0) ?? 0] as const,
  );
  return (
    <Card>
      <CardHeader>
        <CardTitle>Deliveries, last 24 hours</CardTitle>
        {/* Two lines held on a phone, where the totals may wrap: "Loading…" is one. */}
        <CardDescription data-testid="chart-totals" className="min-h-10 sm:min-h-5">
          {histogram.data ? totals.map(([label, total]) => `${label}: ${total}`).join(' · ') : 'Loading…'}
        </CardDescription>
      </CardHeader>
      <CardContent>
        <div
          className="h-60 w-full"
          role="img"
          aria-label={`Dispatches per hour (UTC). ${totals.map(([l, t]) => `${l} ${t}`).join(', ')}.`}
        >
          {histogram.data ? (
            <ResponsiveContainer width="100%" height="100%">
              <BarChart data={histogram.data} margin={{ left: -20, right: 4, top: 4 }}>
                <CartesianGrid vertical={false} stroke="var(--border)" />
                <XAxis
                  dataKey="hour"
                  tickFormatter={hourLabel}
                  tick={{ fontSize: 11, fill: 'var(--muted-foreground)' }}
                  interval="preserveStartEnd"
                  minTickGap={16}
                />
                <YAxis allowDecimals={false} tick={{ fontSize: 11, fill: 'var(--muted-foreground)' }} />
                <Tooltip
                  labelFormatter={(hour) => `${String(hour).slice(0, 10)} ${hourLabel(String(hour))} UTC`}
                  contentStyle={{
                    background: 'var(--popover)',
                    border: '1px solid var(--border)',
                    borderRadius: 8,
                    color: 'var(--popover-foreground)',
                  }}
                  cursor={{ fill: 'var(--muted)' }}
                />
                <Legend wrapperStyle={{ fontSize: 12 }} />
                {SERIES.map((series) => (
                  <Bar
                    key={series.key}
                    dataKey={series.key}
                    name={series.label}
                    stackId="outcome"
                    fill={series.color}
                    isAnimationActive={false}
                  />
                ))}
              </BarChart>
            </ResponsiveContainer>
          ) : (
            <Skeleton className="h-full w-full" />
          )}
        </div>
      </CardContent>
    </Card>
  );
}
