import { Skeleton } from '@/components/ui/skeleton';
import { TableCell, TableRow } from '@/components/ui/table';

/** Placeholder rows of a table's usual height while its page loads (no jump when data arrives). */
export function LoadingRows({
  columns,
  rows = 3,
  height = 'h-6',
}: {
  columns: number;
  rows?: number;
  height?: string;
}) {
  return Array.from({ length: rows }, (_, index) => (
    // biome-ignore lint/suspicious/noArrayIndexKey: placeholders have no identity
    <TableRow key={index}>
      <TableCell colSpan={columns}>
        <Skeleton className={`${height} w-full`} />
      </TableCell>
    </TableRow>
  ));
}

/** The one row of a table with nothing to show, saying why. */
export function EmptyRow({ columns, children }: { columns: number; children: React.ReactNode }) {
  return (
    <TableRow>
      <TableCell colSpan={columns} className="h-20 text-center text-muted-foreground">
        {children}
      </TableCell>
    </TableRow>
  );
}
