'use client';

import type { DispatchCallDetail, RenderedRequest } from '@ricochet/schema';
import { ChevronRightIcon } from 'lucide-react';
import { CodeBlock } from '@/components/code-block';
import { Alert } from '@/components/ui/alert';
import { Skeleton } from '@/components/ui/skeleton';
import { durationMs, formatDateTime, formatHeaders } from '@/lib/format';

/** A request or response: headers, then the body, each scrolling on its own. */
function Message({
  subject,
  headers,
  body,
}: {
  /** What the blocks are labelled after, e.g. "request of attempt 2". */
  subject: string;
  headers: Record<string, string> | null;
  body: string | null;
}) {
  return (
    <>
      <div className="grid gap-1">
        <span className="text-xs text-muted-foreground">
          Headers{headers !== null && ` (${Object.keys(headers).length})`}
        </span>
        {headers === null ? (
          <p className="text-xs text-muted-foreground">Not stored (recorded before Ricochet kept them).</p>
        ) : (
          <CodeBlock label={`Headers of the ${subject}`} className="max-h-48 break-all whitespace-pre-wrap">
            {formatHeaders(headers)}
          </CodeBlock>
        )}
      </div>
      {body !== null && (
        <div className="grid gap-1">
          <span className="text-xs text-muted-foreground">Body</span>
          {body === '' ? (
            <p className="text-xs text-muted-foreground">Empty.</p>
          ) : (
            <CodeBlock label={`Body of the ${subject}`} className="max-h-80 break-all whitespace-pre-wrap">
              {body}
            </CodeBlock>
          )}
        </div>
      )}
    </>
  );
}

function Section({ title, children }: { title: string; children: React.ReactNode }) {
  return (
    <section className="grid min-w-0 content-start gap-2">
      <h3 className="text-sm font-medium">{title}</h3>
      {children}
    </section>
  );
}

function SentRequest({
  call,
  attempt,
  rerendered,
}: {
  call: DispatchCallDetail;
  attempt: string;
  rerendered: RenderedRequest | undefined;
}) {
  switch (call.requestState) {
    case 'STORED':
      return (
        <>
          <p className="font-mono text-xs break-all">POST {call.requestUrl}</p>
          <Message subject={`request of ${attempt}`} headers={call.requestHeaders} body={call.requestBody} />
        </>
      );
    case 'NOT_BUILT':
      return (
        <p className="text-sm text-muted-foreground">
          Nothing was sent: the request could not be rendered (see the error above).
        </p>
      );
    case 'NOT_RECORDED':
      return (
        <p className="text-sm text-muted-foreground">
          {call.finishedAt === null
            ? 'Sending…'
            : 'Not recorded: the worker sending this attempt stopped before it could record it.'}
        </p>
      );
    case 'PREDATES_STORAGE':
      return (
        <>
          <Alert variant="warning" role="note" data-testid="rerendered-request">
            Not stored: this attempt was recorded before Ricochet kept each request. Below is the request
            re-rendered from the webhook's current templates, with signatures as of now; it may differ from
            what was sent.
          </Alert>
          {!rerendered ? (
            <Skeleton className="h-24 w-full" />
          ) : rerendered.error ? (
            <Alert variant="destructive">{rerendered.error}</Alert>
          ) : (
            <>
              <p className="font-mono text-xs break-all">POST {rerendered.url}</p>
              <Message
                subject={`re-rendered request of ${attempt}`}
                headers={rerendered.headers}
                body={rerendered.body}
              />
            </>
          )}
        </>
      );
  }
}

function Response({ call, attempt }: { call: DispatchCallDetail; attempt: string }) {
  if (call.responseStatus === null) {
    return (
      <p className="text-sm text-muted-foreground">
        {call.finishedAt === null ? 'Waiting for the answer…' : 'No response.'}
      </p>
    );
  }
  return (
    <Message subject={`response of ${attempt}`} headers={call.responseHeaders} body={call.responseBody} />
  );
}

/**
 * Every attempt of a dispatch, newest open: when it ran, how it ended, the request exactly as it was
 * sent (stored by the worker with the result) and what came back.
 */
export function DispatchCalls({
  calls,
  rerendered,
}: {
  calls: DispatchCallDetail[];
  /** The request re-rendered from the current templates, for attempts stored before requests were. */
  rerendered: RenderedRequest | undefined;
}) {
  return (
    <ol className="grid gap-3">
      {calls.map((call, index) => {
        const attempt = `attempt ${call.attempt}`;
        const ok = call.responseStatus !== null && call.responseStatus >= 200 && call.responseStatus < 300;
        return (
          <li
            key={call.attempt}
            className="rounded-md border"
            data-call-status={call.responseStatus ?? 'none'}
          >
            <details open={index === calls.length - 1} className="group">
              <summary className="flex cursor-pointer list-none flex-wrap items-center gap-x-4 gap-y-1 rounded-md p-3 text-sm focus-visible:ring-2 focus-visible:ring-ring focus-visible:outline-none [&::-webkit-details-marker]:hidden">
                <ChevronRightIcon
                  className="size-4 shrink-0 text-muted-foreground transition-transform group-open:rotate-90"
                  aria-hidden="true"
                />
                <span className="font-medium">Attempt {call.attempt}</span>
                <span
                  className={
                    ok
                      ? 'text-success'
                      : call.finishedAt === null
                        ? 'text-muted-foreground'
                        : 'text-destructive'
                  }
                >
                  {call.responseStatus !== null
                    ? `HTTP ${call.responseStatus}`
                    : call.finishedAt === null
                      ? 'Running'
                      : 'No response'}
                </span>
                <span className="text-muted-foreground">{formatDateTime(call.startedAt)}</span>
                <span className="text-muted-foreground">{durationMs(call.startedAt, call.finishedAt)}</span>
                {call.errorMessage && (
                  <span className="basis-full pl-8 break-words text-destructive">{call.errorMessage}</span>
                )}
              </summary>
              <div className="grid gap-4 border-t p-3 lg:grid-cols-2">
                <Section title="Request">
                  <SentRequest call={call} attempt={attempt} rerendered={rerendered} />
                </Section>
                <Section title="Response">
                  <Response call={call} attempt={attempt} />
                </Section>
              </div>
            </details>
          </li>
        );
      })}
    </ol>
  );
}
