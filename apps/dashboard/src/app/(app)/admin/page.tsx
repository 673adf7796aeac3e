'use client';

import { useQuery } from '@tanstack/react-query';
import { RequireCapability } from '@/components/app-shell';
import { PageHeader, QueryError } from '@/components/page';
import { EmptyRow } from '@/components/table-states';
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card';
import { Skeleton } from '@/components/ui/skeleton';
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from '@/components/ui/table';
import { formatPercent } from '@/lib/format';
import { useTRPC } from '@/lib/trpc';

function Stat({ label, value, hint }: { label: string; value: React.ReactNode; hint?: string }) {
  return (
    <Card className="gap-1 py-4">
      <CardHeader className="px-4">
        <CardDescription>{label}</CardDescription>
      </CardHeader>
      <CardContent className="px-4">
        <p className="text-2xl font-semibold tabular-nums">{value}</p>
        {hint && <p className="text-xs text-muted-foreground">{hint}</p>}
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
      <Card>
        <CardHeader>
          <CardTitle>Slowest targets</CardTitle>
          <CardDescription>Average call time by host, last hour.</CardDescription>
        </CardHeader>
        <CardContent>
          <Table>
            <TableHeader>
              <TableRow>
                <TableHead>Host</TableHead>
                <TableHead className="text-right">Calls</TableHead>
                <TableHead className="text-right">Average</TableHead>
                <TableHead className="text-right">Slowest</TableHead>
              </TableRow>
            </TableHeader>
            <TableBody>
              {data?.slowestTargets.map((target) => (
                <TableRow key={target.host}>
                  <TableCell className="font-mono text-xs">{target.host}</TableCell>
                  <TableCell className="text-right tabular-nums">{target.calls}</TableCell>
                  <TableCell className="text-right tabular-nums">{target.avgMs} ms</TableCell>
                  <TableCell className="text-right tabular-nums">{target.maxMs} ms</TableCell>
                </TableRow>
              ))}
              {data?.slowestTargets.length === 0 && (
                <EmptyRow columns={4}>No calls in the last hour.</EmptyRow>
              )}
            </TableBody>
          </Table>
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
