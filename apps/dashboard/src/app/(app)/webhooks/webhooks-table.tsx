'use client';

import { WEBHOOK_STATES, type WebhookState } from '@ricochet/schema';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { PlusIcon, WebhookIcon } from 'lucide-react';
import Link from 'next/link';
import { useState } from 'react';
import { PageHeader, QueryError } from '@/components/page';
import { Pagination } from '@/components/pagination';
import { useSession } from '@/components/session';
import { DispatchStatusBadge, WebhookStateBadge } from '@/components/status';
import { EmptyRow, LoadingRows } from '@/components/table-states';
import { Button } from '@/components/ui/button';
import { Input } from '@/components/ui/input';
import { Label } from '@/components/ui/label';
import { NativeSelect } from '@/components/ui/native-select';
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from '@/components/ui/table';
import { formatPercent, formatRelative } from '@/lib/format';
import { useTRPC } from '@/lib/trpc';
import { useDebounced } from '@/lib/use-debounced';

const PAGE_SIZE = 25;

export function WebhooksTable() {
  const trpc = useTRPC();
  const session = useSession();
  const [search, setSearch] = useState('');
  const [state, setState] = useState<WebhookState | ''>('');
  const [eventType, setEventType] = useState('');
  const [offset, setOffset] = useState(0);
  const debouncedSearch = useDebounced(search);
  const eventTypes = useQuery(trpc.eventTypes.list.queryOptions());
  const webhooks = useQuery(
    trpc.insights.webhooks.queryOptions(
      {
        offset,
        limit: PAGE_SIZE,
        ...(debouncedSearch && { search: debouncedSearch }),
        ...(state && { state }),
        ...(eventType && { eventType }),
      },
      { placeholderData: keepPreviousData },
    ),
  );
  const filtered = Boolean(debouncedSearch || state || eventType);

  return (
    <>
      <PageHeader
        title="Webhooks"
        description="Each webhook receives a signed POST for every matching event."
        actions={
          session.scope === 'FULL' && (
            <Button asChild>
              <Link href="/webhooks/new">
                <PlusIcon aria-hidden="true" /> New webhook
              </Link>
            </Button>
          )
        }
      />
      <search className="mb-4 grid gap-3 sm:grid-cols-[1fr_12rem_14rem]">
        <div className="grid gap-1.5">
          <Label htmlFor="webhook-search">Search</Label>
          <Input
            id="webhook-search"
            type="search"
            placeholder="URL, description or ID"
            value={search}
            onChange={(event) => {
              setSearch(event.target.value);
              setOffset(0);
            }}
          />
        </div>
        <div className="grid gap-1.5">
          <Label htmlFor="webhook-state">State</Label>
          <NativeSelect
            id="webhook-state"
            value={state}
            onChange={(event) => {
              setState(event.target.value as WebhookState | '');
              setOffset(0);
            }}
          >
            <option value="">Any state</option>
            {WEBHOOK_STATES.map((value) => (
              <option key={value} value={value}>
                {value === 'STOPPED' ? 'Paused' : value === 'TOO_MANY_ERRORS' ? 'Too many errors' : 'Active'}
              </option>
            ))}
          </NativeSelect>
        </div>
        <div className="grid gap-1.5">
          <Label htmlFor="webhook-event-type">Event type</Label>
          <NativeSelect
            id="webhook-event-type"
            value={eventType}
            onChange={(event) => {
              setEventType(event.target.value);
              setOffset(0);
            }}
          >
            <option value="">Any event type</option>
            {eventTypes.data?.map((type) => (
              <option key={type.name} value={type.name}>
                {type.name}
              </option>
            ))}
          </NativeSelect>
        </div>
      </search>

      {webhooks.error ? (
        <QueryError error={webhooks.error} retry={() => webhooks.refetch()} what="list" />
      ) : webhooks.data && webhooks.data.total === 0 && !filtered ? (
        <EmptyState />
      ) : (
        <div className="rounded-lg border">
          <Table aria-busy={webhooks.isFetching}>
            <TableHeader>
              <TableRow>
                <TableHead>URL</TableHead>
                <TableHead className="hidden md:table-cell">Event types</TableHead>
                <TableHead>State</TableHead>
                <TableHead>Last dispatch</TableHead>
                <TableHead className="hidden text-right sm:table-cell">Success (24 h)</TableHead>
              </TableRow>
            </TableHeader>
            <TableBody>
              {!webhooks.data ? (
                <LoadingRows columns={5} rows={5} />
              ) : (
                webhooks.data.items.map((webhook) => (
                  <TableRow key={webhook.id} className="h-12">
                    <TableCell className="max-w-[12rem] sm:max-w-[22rem]">
                      <Link
                        href={`/webhooks/${webhook.id}`}
                        className="block truncate font-medium underline-offset-4 hover:underline"
                      >
                        {webhook.requestUrl}
                      </Link>
                      {webhook.description && (
                        <span className="block truncate text-xs text-muted-foreground">
                          {webhook.description}
                        </span>
                      )}
                    </TableCell>
                    <TableCell className="hidden max-w-[16rem] truncate text-muted-foreground md:table-cell">
                      {webhook.eventTypes.join(', ')}
                    </TableCell>
                    <TableCell>
                      <WebhookStateBadge state={webhook.state} />
                    </TableCell>
                    <TableCell className="whitespace-nowrap">
                      {webhook.lastDispatch ? (
                        <span className="flex items-center gap-2">
                          <DispatchStatusBadge status={webhook.lastDispatch.status} />
                          <span className="hidden text-xs text-muted-foreground sm:inline">
                            {formatRelative(webhook.lastDispatch.finishedAt)}
                          </span>
                        </span>
                      ) : (
                        <span className="text-muted-foreground">Never</span>
                      )}
                    </TableCell>
                    <TableCell className="text-right tabular-nums">
                      {formatPercent(webhook.successRate24h)}
                    </TableCell>
                  </TableRow>
                ))
              )}
              {webhooks.data?.items.length === 0 && (
                <EmptyRow columns={5}>No webhook matches these filters.</EmptyRow>
              )}
            </TableBody>
          </Table>
        </div>
      )}
      {webhooks.data && webhooks.data.total > 0 && (
        <Pagination
          offset={offset}
          limit={PAGE_SIZE}
          total={webhooks.data.total}
          onChange={setOffset}
          label="Webhooks"
        />
      )}
    </>
  );
}

function EmptyState() {
  return (
    <div className="flex flex-col items-center gap-3 rounded-lg border border-dashed px-6 py-16 text-center">
      <WebhookIcon className="size-10 text-muted-foreground" aria-hidden="true" />
      <h2 className="text-lg font-semibold">No webhooks yet</h2>
      <p className="max-w-md text-sm text-muted-foreground">
        A webhook is a URL that Ricochet calls whenever an event you choose happens. Create one, then send it
        a test event to see the request arrive.
      </p>
      <Button asChild>
        <Link href="/webhooks/new">
          <PlusIcon aria-hidden="true" /> Create your first webhook
        </Link>
      </Button>
    </div>
  );
}
