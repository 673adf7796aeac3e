'use client';

import { useQuery } from '@tanstack/react-query';
import { RequireCapability } from '@/components/app-shell';
import { type Column, DataTable } from '@/components/data-table';
import { PageHeader, QueryError } from '@/components/page';
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card';
import { Skeleton } from '@/components/ui/skeleton';
import { formatPercent } from '@/lib/format';
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

export default function Page() {
  return (
    <RequireCapability capability="admin">
      <OverviewPage />
    </RequireCapability>
  );
}
