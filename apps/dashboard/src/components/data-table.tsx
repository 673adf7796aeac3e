import { Skeleton } from '@/components/ui/skeleton';
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from '@/components/ui/table';
import { cn } from '@/lib/utils';

export type Column<Row> = {
  header: React.ReactNode;
  /**
   * Width, visibility and alignment (`w-32 hidden text-right sm:table-cell`): the same classes go on
   * the header, on every cell and on the placeholders, so the columns do not move when rows arrive.
   */
  className?: string;
  /** Classes of the data cells alone (font, colour, truncation). */
  cellClassName?: string;
  cell: (row: Row) => React.ReactNode;
};

/** The visually hidden header of a column of buttons. */
export const ACTIONS_HEADER = <span className="sr-only">Actions</span>;

/**
 * A table with fixed column widths (`table-fixed`, widths from the columns' classes) and the states
 * of a list: placeholder rows of the final row height while `rows` is undefined, then the rows, or
 * `empty` when there are none. Placeholders have one cell per column, hidden where its column is
 * hidden: a single cell spanning the row would add columns at widths where some are hidden, and the
 * header would jump when the rows replace it.
 */
export function DataTable<Row>({
  columns,
  rows,
  rowKey,
  rowProps,
  empty,
  placeholderRows = 3,
  rowClassName = 'h-12',
  busy,
  className,
}: {
  columns: Array<Column<Row>>;
  /** Undefined while loading. */
  rows: Row[] | undefined;
  rowKey: (row: Row) => string;
  /** Attributes of a data row (data-* for tests and styles, aria-*). */
  rowProps?: (row: Row) => React.ComponentProps<'tr'> & { [data: `data-${string}`]: string };
  /** What an empty list says. */
  empty?: React.ReactNode;
  placeholderRows?: number;
  /** The height of a row, placeholder or not. */
  rowClassName?: string;
  busy?: boolean;
  /** The frame around the table (a border unless told otherwise). */
  className?: string;
}) {
  return (
    <div className={cn('rounded-lg border', className)}>
      <Table className="table-fixed" aria-busy={busy}>
        <TableHeader>
          <TableRow>
            {columns.map((column, index) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: columns are fixed per table
              <TableHead key={index} className={cn('truncate', column.className)}>
                {column.header}
              </TableHead>
            ))}
          </TableRow>
        </TableHeader>
        <TableBody>
          {rows === undefined
            ? Array.from({ length: placeholderRows }, (_, rowIndex) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: placeholders have no identity
                <TableRow key={rowIndex} className={rowClassName} aria-hidden="true">
                  {columns.map((column, index) => (
                    // biome-ignore lint/suspicious/noArrayIndexKey: columns are fixed per table
                    <TableCell key={index} className={column.className}>
                      <Skeleton className="h-5 w-full max-w-40" />
                    </TableCell>
                  ))}
                </TableRow>
              ))
            : rows.map((row) => (
                <TableRow key={rowKey(row)} className={rowClassName} {...rowProps?.(row)}>
                  {columns.map((column, index) => (
                    // biome-ignore lint/suspicious/noArrayIndexKey: columns are fixed per table
                    <TableCell key={index} className={cn(column.className, column.cellClassName)}>
                      {column.cell(row)}
                    </TableCell>
                  ))}
                </TableRow>
              ))}
        </TableBody>
      </Table>
      {rows?.length === 0 && empty && (
        <p className="flex min-h-20 items-center justify-center px-4 py-3 text-center text-sm text-muted-foreground">
          {empty}
        </p>
      )}
    </div>
  );
}
