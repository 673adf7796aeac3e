'use client';

import { DISPATCH_STATUSES, type DispatchStatus } from '@ricochet/schema';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { RotateCcwIcon } from 'lucide-react';
import Link from 'next/link';
import { useState } from 'react';
import { toast } from 'sonner';
import type { Column } from '@/components/data-table';
import { FilterField, ListFilters, PagedList } from '@/components/list-page';
import { DispatchQueueState, DispatchStatusBadge, dispatchStatusText } from '@/components/status';
import { Button } from '@/components/ui/button';
import { Card, CardContent, CardHeader, CardTitle } from '@/components/ui/card';
import { Input } from '@/components/ui/input';
import { NativeSelect } from '@/components/ui/native-select';
import { UrlText } from '@/components/url-text';
import { formatDateTime, formatRelative } from '@/lib/format';
import { DISPATCH_STATUS_FILTER_LABELS } from '@/lib/labels';
import { type RouterOutputs, useTRPC } from '@/lib/trpc';

const PAGE_SIZE = 20;
const WINDOWS = { '1h': 3600_000, '24h': 24 * 3600_000, '7d': 7 * 24 * 3600_000, all: null } as const;
type Window = keyof typeof WINDOWS;
type DispatchRow = RouterOutputs['insights']['dispatchLog']['items'][number];

/** On a phone, a dispatch's attempts and last response are on its own page. */
const COLUMNS: Array<Column<DispatchRow>> = [
  {
    header: 'Status',
    className: 'w-24 sm:w-28',
    cell: (dispatch) => (
      <Link
        href={`/dispatches/${dispatch.id}`}
        className="rounded-md focus-visible:ring-2 focus-visible:ring-ring focus-visible:outline-none"
        aria-label={`Dispatch ${dispatch.id}: ${dispatchStatusText(dispatch)}`}
      >
        <DispatchStatusBadge {...dispatch} />
      </Link>
    ),
  },
  {
    header: 'Event type',
    cellClassName: 'text-xs',
    // An ACTIVE dispatch says under its event type where it stands in the queue.
    cell: (dispatch) => (
      <>
        <span className="block truncate font-mono" title={dispatch.eventType}>
          {dispatch.eventType}
        </span>
        <DispatchQueueState dispatch={dispatch} narrow className="block truncate text-muted-foreground" />
      </>
    ),
  },
  {
    header: 'URL',
    className: 'hidden w-[30%] md:table-cell',
    cell: (dispatch) => <UrlText url={dispatch.requestUrl} />,
  },
  {
    header: 'Attempts',
    className: 'hidden w-24 sm:table-cell',
    cellClassName: 'tabular-nums',
    cell: (dispatch) => dispatch.attemptCount,
  },
  {
    header: 'Last response',
    className: 'hidden w-32 sm:table-cell',
    cellClassName: 'tabular-nums',
    cell: (dispatch) => dispatch.lastResponseStatus ?? '—',
  },
  {
    header: 'Created',
    className: 'w-28 sm:w-34',
    cellClassName: 'truncate',
    cell: (dispatch) => (
      <span title={formatDateTime(dispatch.createdAt)}>{formatRelative(dispatch.createdAt)}</span>
    ),
  },
];

type LogFilters = {
  webhookId?: string | undefined;
  eventId?: string | undefined;
  status?: DispatchStatus | '';
  eventType?: string;
  since?: string | undefined;
  offset?: number;
};

/** The log's query input for these filters: the component's, and a page's that prefetches its first page. */
export function dispatchLogInput({
  webhookId,
  eventId,
  status,
  eventType = '',
  since,
  offset = 0,
}: LogFilters) {
  return {
    offset,
    limit: PAGE_SIZE,
    ...(webhookId && { webhookId }),
    ...(eventId && { eventId }),
    ...(status && { status }),
    ...(eventType.trim() && { eventType: eventType.trim() }),
    ...(since && { since }),
  };
}

/** A webhook's (or all) dispatches, newest first, filtered on the server, with bulk redelivery. */
export function DispatchLog({ webhookId, eventId }: { webhookId?: string; eventId?: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [status, setStatus] = useState<DispatchStatus | ''>('');
  const [eventType, setEventType] = useState('');
  const [window, setWindow] = useState<Window>('all');
  const [offset, setOffset] = useState(0);
  // The window's start is fixed when chosen, so paging does not shift under the reader.
  const [since, setSince] = useState<string | undefined>(undefined);
  const log = useQuery(
    trpc.insights.dispatchLog.queryOptions(
      dispatchLogInput({ webhookId, eventId, status, eventType, since, offset }),
      { placeholderData: keepPreviousData, refetchInterval: 5_000 },
    ),
  );
  const redeliverFailed = useMutation(
    trpc.webhooks.redeliverFailed.mutationOptions({
      onSuccess: async (result) => {
        toast.success(
          `${result.redelivered} failed dispatch${result.redelivered === 1 ? '' : 'es'} queued again`,
        );
        await queryClient.invalidateQueries({ queryKey: trpc.insights.pathKey() });
      },
      onError: (error) => toast.error(error.message),
    }),
  );

  return (
    <Card>
      <CardHeader className="flex flex-row flex-wrap items-center justify-between gap-2">
        <CardTitle>Dispatch log</CardTitle>
        {webhookId && (
          <Button
            variant="outline"
            size="sm"
            disabled={redeliverFailed.isPending}
            onClick={() =>
              redeliverFailed.mutate({
                webhookId,
                data: { since: since ?? new Date(Date.now() - 30 * 24 * 3600_000).toISOString() },
              })
            }
          >
            <RotateCcwIcon aria-hidden="true" /> Redeliver failed{' '}
            {window === 'all' ? '(30 days)' : `(${window})`}
          </Button>
        )}
      </CardHeader>
      <CardContent>
        <ListFilters label="Dispatch log">
          <FilterField id="log-status" label="Status">
            <NativeSelect
              id="log-status"
              value={status}
              onChange={(event) => {
                setStatus(event.target.value as DispatchStatus | '');
                setOffset(0);
              }}
            >
              <option value="">Any status</option>
              {DISPATCH_STATUSES.map((value) => (
                <option key={value} value={value}>
                  {DISPATCH_STATUS_FILTER_LABELS[value]}
                </option>
              ))}
            </NativeSelect>
          </FilterField>
          <FilterField id="log-event-type" label="Event type">
            <Input
              id="log-event-type"
              placeholder="e.g. ACTOR.RUN.SUCCEEDED"
              value={eventType}
              onChange={(event) => {
                setEventType(event.target.value);
                setOffset(0);
              }}
            />
          </FilterField>
          <FilterField id="log-window" label="Time window">
            <NativeSelect
              id="log-window"
              value={window}
              onChange={(event) => {
                const value = event.target.value as Window;
                const span = WINDOWS[value];
                setWindow(value);
                setSince(span === null ? undefined : new Date(Date.now() - span).toISOString());
                setOffset(0);
              }}
            >
              <option value="1h">Last hour</option>
              <option value="24h">Last 24 hours</option>
              <option value="7d">Last 7 days</option>
              <option value="all">All time</option>
            </NativeSelect>
          </FilterField>
        </ListFilters>
        <PagedList
          query={log}
          label="Dispatch log"
          offset={offset}
          pageSize={PAGE_SIZE}
          onOffset={setOffset}
          className="rounded-md"
          columns={webhookId ? COLUMNS.filter((column) => column.header !== 'URL') : COLUMNS}
          rowKey={(dispatch) => dispatch.id}
          rowProps={(dispatch) => ({ 'data-dispatch-status': dispatch.status })}
          // Two lines: the event type, and under it where an ACTIVE dispatch stands.
          rowClassName="h-12"
          placeholderRows={5}
          empty={`No dispatches${status || eventType || since ? ' match these filters' : ' yet'}.`}
        />
      </CardContent>
    </Card>
  );
}
