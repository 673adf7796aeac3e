'use client';

import { WEBHOOK_STATES, type WebhookState } from '@ricochet/schema';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { PlusIcon, WebhookIcon } from 'lucide-react';
import Link from 'next/link';
import { useState } from 'react';
import type { Column } from '@/components/data-table';
import { FilterField, ListFilters, PagedList } from '@/components/list-page';
import { PageHeader } from '@/components/page';
import { useSession } from '@/components/session';
import { CircuitBadge, DispatchStatusBadge, WebhookStateBadge } from '@/components/status';
import { Button } from '@/components/ui/button';
import { Input } from '@/components/ui/input';
import { NativeSelect } from '@/components/ui/native-select';
import { UrlText } from '@/components/url-text';
import { AlertEmailCard } from '@/components/webhooks/alert-email-card';
import { formatPercent, formatRateLimit, formatRelative } from '@/lib/format';
import { WEBHOOK_STATE_LABELS } from '@/lib/labels';
import { type RouterOutputs, useTRPC } from '@/lib/trpc';
import { useDebounced } from '@/lib/use-debounced';

const PAGE_SIZE = 25;

type WebhookRow = RouterOutputs['insights']['webhooks']['items'][number];

const COLUMNS: Array<Column<WebhookRow>> = [
  {
    header: 'URL',
    cell: (webhook) => (
      <>
        <Link
          href={`/webhooks/${webhook.id}`}
          className="block min-w-0 font-medium underline-offset-4 hover:underline"
        >
          <UrlText url={webhook.requestUrl} />
        </Link>
        {(webhook.description || webhook.rateLimitPerSecond !== null) && (
          <span className="block truncate text-xs text-muted-foreground">
            {[
              webhook.description,
              webhook.rateLimitPerSecond !== null && formatRateLimit(webhook.rateLimitPerSecond),
            ]
              .filter(Boolean)
              .join(' · ')}
          </span>
        )}
      </>
    ),
  },
  {
    header: 'Event types',
    className: 'hidden w-[30%] md:table-cell',
    cellClassName: 'truncate text-muted-foreground',
    cell: (webhook) => webhook.eventTypes.join(', '),
  },
  {
    header: 'State',
    className: 'w-32 sm:w-48',
    cell: (webhook) => (
      <span className="flex items-center gap-1.5">
        <WebhookStateBadge state={webhook.state} />
        <CircuitBadge state={webhook.state} circuit={webhook.circuit} compact />
      </span>
    ),
  },
  {
    header: 'Last dispatch',
    className: 'w-26 sm:w-52',
    cellClassName: 'whitespace-nowrap',
    cell: (webhook) =>
      webhook.lastDispatch ? (
        <span className="flex items-center gap-2">
          <DispatchStatusBadge status={webhook.lastDispatch.status} />
          <span className="hidden text-xs text-muted-foreground sm:inline">
            {formatRelative(webhook.lastDispatch.finishedAt)}
          </span>
        </span>
      ) : (
        <span className="text-muted-foreground">Never</span>
      ),
  },
  {
    header: 'Success (24 h)',
    className: 'hidden w-32 text-right sm:table-cell',
    cellClassName: 'tabular-nums',
    cell: (webhook) => formatPercent(webhook.successRate24h),
  },
];

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
      <ListFilters label="Webhooks" className="mb-4 sm:grid-cols-[1fr_12rem_14rem]">
        <FilterField id="webhook-search" label="Search">
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
        </FilterField>
        <FilterField id="webhook-state" label="State">
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
                {WEBHOOK_STATE_LABELS[value]}
              </option>
            ))}
          </NativeSelect>
        </FilterField>
        <FilterField id="webhook-event-type" label="Event type">
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
        </FilterField>
      </ListFilters>

      <PagedList
        query={webhooks}
        label="Webhooks"
        offset={offset}
        pageSize={PAGE_SIZE}
        onOffset={setOffset}
        nothingYet={filtered ? undefined : <EmptyState />}
        columns={COLUMNS}
        rowKey={(webhook) => webhook.id}
        placeholderRows={5}
        empty="No webhook matches these filters."
      />
      {session.scope === 'FULL' && (
        <div className="mt-8">
          <AlertEmailCard />
        </div>
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
