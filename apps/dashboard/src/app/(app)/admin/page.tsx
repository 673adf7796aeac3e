'use client';

import { useQuery } from '@tanstack/react-query';
import { type Column, DataTable } from '@/components/data-table';
import { PageHeader, QueryError } from '@/components/page';
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card';
import { Skeleton } from '@/components/ui/skeleton';
import { formatDateTime, formatPercent } from '@/lib/format';
import { type RouterOutputs, useTRPC } from '@/lib/trpc';

function Stat({ label, value, hint }: { label: string; value: React.ReactNode; hint?: string }) {
  return (
    <Card className="gap-1 py-4">
      <CardHeader className="px-4">
        <CardDescription>{label}</CardDescription>
      </CardHeader>
      <CardContent className="px-4">
        <div className="h-8 text-2xl font-semibold tabular-nums">{value}</div>
        {hint && <p className="text-xs text-muted-foreground">{hint}</p>}
      </CardContent>
    </Card>
  );
}

type Target = RouterOutputs['admin']['overview']['slowestTargets'][number];

const TARGET_COLUMNS: Array<Column<Target>> = [
  { header: 'Host', cellClassName: 'truncate font-mono text-xs', cell: (target) => target.host },
  {
    header: 'Calls',
    className: 'w-16 text-right sm:w-24',
    cellClassName: 'tabular-nums',
    cell: (target) => target.calls,
  },
  {
    header: 'Average',
    className: 'w-20 text-right sm:w-28',
    cellClassName: 'tabular-nums',
    cell: (target) => `${target.avgMs} ms`,
  },
  {
    header: 'Slowest',
    className: 'w-20 text-right sm:w-28',
    cellClassName: 'tabular-nums',
    cell: (target) => `${target.maxMs} ms`,
  },
];

type Storage = RouterOutputs['admin']['overview']['storage'];
type Week = Storage['weeks'][number];

const WEEK_COLUMNS: Array<Column<Week>> = [
  {
    header: 'Week',
    cellClassName: 'truncate tabular-nums',
    // A phone has room for the month and day only beside three figures.
    cell: (week) => (
      <>
        <span className="sm:hidden">{week.from.slice(5, 10)}</span>
        <span className="hidden sm:inline">{week.from.slice(0, 10)}</span>
      </>
    ),
  },
  {
    header: 'Events',
    className: 'w-[5.25rem] text-right sm:w-32',
    cellClassName: 'tabular-nums',
    cell: (week) => `${week.events.rows.toLocaleString('en-US')} · ${formatBytes(week.events.bytes)}`,
  },
  {
    header: 'Dispatches',
    className: 'w-[5.25rem] text-right sm:w-32',
    cellClassName: 'tabular-nums',
    cell: (week) => `${week.dispatches.rows.toLocaleString('en-US')} · ${formatBytes(week.dispatches.bytes)}`,
  },
  {
    header: 'Calls',
    className: 'w-[5.25rem] text-right sm:w-32',
    cellClassName: 'tabular-nums',
    cell: (week) => `${week.calls.rows.toLocaleString('en-US')} · ${formatBytes(week.calls.bytes)}`,
  },
];

function formatBytes(bytes: number): string {
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(1)} MB`;
  return `${(bytes / 1024 ** 3).toFixed(2)} GB`;
}

/** History storage: the database's size, each week's rows and bytes, the oldest week, the next drop. */
function StorageCard({ storage }: { storage: Storage | undefined }) {
  return (
    <Card className="mb-6">
      <CardHeader>
        <CardTitle>History storage</CardTitle>
        <CardDescription>
          {storage
            ? `Database ${formatBytes(storage.databaseBytes)}. Retention ${storage.retentionDays} days` +
              (storage.longestRetentionDays > storage.retentionDays
                ? ` (a user keeps ${storage.longestRetentionDays}, which holds the weeks for everyone)`
                : '') +
              `. Oldest week ${storage.oldestPartitionStart?.slice(0, 10) ?? '–'}; next drop ${formatDateTime(storage.nextDropAt)}.`
            : 'Loading…'}
        </CardDescription>
      </CardHeader>
      <CardContent>
        <DataTable
          className="rounded-md"
          columns={WEEK_COLUMNS}
          rows={storage?.weeks}
          rowKey={(week) => week.from}
          rowClassName="h-11"
          empty="No history partitions."
        />
      </CardContent>
    </Card>
  );
}

function OverviewPage() {
  const trpc = useTRPC();
  const overview = useQuery(trpc.admin.overview.queryOptions(undefined, { refetchInterval: 5_000 }));
  if (overview.error)
    return <QueryError error={overview.error} retry={() => overview.refetch()} what="overview" />;
  const data = overview.data;
  const value = (render: () => React.ReactNode) => (data ? render() : <Skeleton className="h-8 w-20" />);
  return (
    <>
      <PageHeader
        title="Installation overview"
        description="Every user's deliveries, refreshed every few seconds."
      />
      <div className="mb-6 grid grid-cols-2 gap-4 lg:grid-cols-4">
        <Stat
          label="Queue depth"
          value={value(() => data?.queueDepth)}
          hint={data ? `${data.dueNow} due now` : ' '}
        />
        <Stat
          label="Deliveries per minute"
          value={value(() => data?.deliveriesPerMinute.toFixed(1))}
          hint="last 5 minutes"
        />
        <Stat
          label="Failure rate"
          value={value(() => formatPercent(data?.failureRate1h ?? null))}
          hint="dispatches finished in the last hour"
        />
        <Stat label="Users / webhooks" value={value(() => `${data?.users} / ${data?.webhooks}`)} />
      </div>
      <StorageCard storage={data?.storage} />
      <Card>
        <CardHeader>
          <CardTitle>Slowest targets</CardTitle>
          <CardDescription>Average call time by host, last hour.</CardDescription>
        </CardHeader>
        <CardContent>
          <DataTable
            className="rounded-md"
            columns={TARGET_COLUMNS}
            rows={data?.slowestTargets}
            rowKey={(target) => target.host}
            rowClassName="h-11"
            empty="No calls in the last hour."
          />
        </CardContent>
      </Card>
    </>
  );
}

export default OverviewPage;
