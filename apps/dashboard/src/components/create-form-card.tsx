import { Button } from '@/components/ui/button';
import { Card, CardContent, CardHeader, CardTitle } from '@/components/ui/card';
import { cn } from '@/lib/utils';

/**
 * The card above a list that adds to it: a titled form whose fields sit in one row on a wide screen
 * (`columns`, a grid template) and stack on a phone, with the submit button last.
 */
export function CreateFormCard({
  title,
  columns,
  onSubmit,
  submitLabel,
  submitClassName,
  pending,
  children,
}: {
  title: string;
  /** The grid template of the fields and the button from `sm` up: `sm:grid-cols-[1fr_12rem_auto]`. */
  columns: string;
  onSubmit: React.FormEventHandler<HTMLFormElement>;
  submitLabel: string;
  /** Where the button goes when it does not simply follow the fields. */
  submitClassName?: string;
  pending: boolean;
  children: React.ReactNode;
}) {
  return (
    <Card className="mb-6">
      <CardHeader>
        <CardTitle>{title}</CardTitle>
      </CardHeader>
      <CardContent>
        <form
          noValidate
          aria-label={title}
          className={cn('grid items-start gap-3', columns)}
          onSubmit={onSubmit}
        >
          {children}
          {/* sm:mt-5.5: level with the inputs, below their labels. */}
          <Button type="submit" className={cn('sm:mt-5.5', submitClassName)} disabled={pending}>
            {submitLabel}
          </Button>
        </form>
      </CardContent>
    </Card>
  );
}
