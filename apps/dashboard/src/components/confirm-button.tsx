'use client';

import { useState } from 'react';
import { Button } from '@/components/ui/button';
import {
  Dialog,
  DialogClose,
  DialogContent,
  DialogDescription,
  DialogFooter,
  DialogHeader,
  DialogTitle,
  DialogTrigger,
} from '@/components/ui/dialog';

/**
 * An outline button for an action that cannot be taken back (revoke, remove, disable, delete) that
 * asks first, in a dialog of the page's own: themed like the page (light, dark, a portal's brand)
 * and labelled for screen readers, which window.confirm is not. Without `confirm` it acts at once.
 */
export function ConfirmButton({
  children,
  label,
  confirm,
  onConfirm,
  pending = false,
  size = 'sm',
}: {
  /** The button's text. */
  children: React.ReactNode;
  /** The button's accessible name when its text alone is ambiguous in a table ("Revoke ci"). */
  label?: string;
  /** What the dialog asks, and the words on its confirming button. */
  confirm?: { title: string; description: React.ReactNode; action: string };
  onConfirm: () => void;
  pending?: boolean;
  /** `sm` in a table row, `default` among a page's actions. */
  size?: 'sm' | 'default';
}) {
  const [open, setOpen] = useState(false);
  const button = (
    <Button
      variant="outline"
      size={size}
      aria-label={label}
      disabled={pending}
      onClick={confirm ? undefined : onConfirm}
    >
      {children}
    </Button>
  );
  if (!confirm) return button;
  return (
    <Dialog open={open} onOpenChange={setOpen}>
      <DialogTrigger asChild>{button}</DialogTrigger>
      <DialogContent>
        <DialogHeader>
          <DialogTitle>{confirm.title}</DialogTitle>
          <DialogDescription>{confirm.description}</DialogDescription>
        </DialogHeader>
        <DialogFooter>
          <DialogClose asChild>
            <Button variant="outline">Cancel</Button>
          </DialogClose>
          <Button
            variant="destructive"
            onClick={() => {
              setOpen(false);
              onConfirm();
            }}
          >
            {confirm.action}
          </Button>
        </DialogFooter>
      </DialogContent>
    </Dialog>
  );
}
