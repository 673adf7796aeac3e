import type React from 'react';
import { DataTable } from '@/components/data-table';
import { QueryError } from '@/components/page';
import { Pagination } from '@/components/pagination';
import { Label } from '@/components/ui/label';
import { cn } from '@/lib/utils';

// The kit of the dashboard's list pages (webhooks, events, the dispatch log): a row of filters, the
// table with its loading and empty states, and the pages under it, so every list looks and behaves
// alike.

/** The filters above a list: a `search` landmark, one column per filter from the small breakpoint. */
export function ListFilters({
  label,
  className,
  children,
}: {
  /** What is filtered, for the landmark's name. */
  label: string;
  className?: string;
  children: React.ReactNode;
}) {
  return (
    <search
      aria-label={`Filter ${label.toLowerCase()}`}
      className={cn('mb-3 grid gap-3 sm:grid-cols-3', className)}
    >
      {children}
    </search>
  );
}

/** One filter: its label over its control (`id` ties them together). */
export function FilterField({
  id,
  label,
  children,
}: {
  id: string;
  label: string;
  children: React.ReactNode;
}) {
  return (
    <div className="grid gap-1.5">
      <Label htmlFor={id}>{label}</Label>
      {children}
    </div>
  );
}

/** What a list query gives the kit: a page of items with the total, or the error. */
type ListQuery<Row> = {
  data?: { items: Row[]; total: number };
  error: unknown;
  isFetching?: boolean;
  refetch: () => unknown;
};

/**
 * A paged list: the query's error (with a retry), or `nothingYet` when there is nothing at all and
 * no filter is set (a first-run explanation), or the table (placeholders while loading, `empty`
 * when no row matches); the pages under it once there is anything.
 */
export function PagedList<Row>({
  query,
  label,
  offset,
  pageSize,
  onOffset,
  nothingYet,
  ...table
}: {
  query: ListQuery<Row>;
  /** What the list is, for the error message and the pages' navigation label. */
  label: string;
  offset: number;
  pageSize: number;
  onOffset: (offset: number) => void;
  nothingYet?: React.ReactNode;
} & Omit<React.ComponentProps<typeof DataTable<Row>>, 'rows' | 'busy'>) {
  const { data, error } = query;
  return (
    <>
      {error ? (
        <QueryError error={error} retry={() => query.refetch()} what={label.toLowerCase()} />
      ) : data && data.total === 0 && nothingYet ? (
        nothingYet
      ) : (
        <DataTable {...table} rows={data?.items} busy={query.isFetching} />
      )}
      {data && data.total > 0 && (
        <Pagination offset={offset} limit={pageSize} total={data.total} onChange={onOffset} label={label} />
      )}
    </>
  );
}
