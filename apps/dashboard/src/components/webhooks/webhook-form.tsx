'use client';

import { zodResolver } from '@hookform/resolvers/zod';
import { DEFAULT_PAYLOAD_TEMPLATE, type Webhook } from '@ricochet/schema';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { SendIcon } from 'lucide-react';
import { useRouter } from 'next/navigation';
import { Controller, useForm, useWatch } from 'react-hook-form';
import { CodeBlock } from '@/components/code-block';
import { Field } from '@/components/field';
import { Alert } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card';
import { Checkbox } from '@/components/ui/checkbox';
import { Input } from '@/components/ui/input';
import { Label } from '@/components/ui/label';
import { Skeleton } from '@/components/ui/skeleton';
import { Textarea } from '@/components/ui/textarea';
import { formatHeaders } from '@/lib/format';
import { useTRPC } from '@/lib/trpc';
import { useDebounced } from '@/lib/use-debounced';
import { cn } from '@/lib/utils';
import {
  EMPTY_WEBHOOK_FORM,
  formValuesOf,
  newSigningSecret,
  toWebhookInput,
  type WebhookFormOutput,
  WebhookFormSchema,
  type WebhookFormValues,
} from './webhook-form-schema';

/** The event type list's box, loading or loaded: Apify's catalogue fits in two columns on a wide screen. */
const EVENT_TYPE_BOX = 'h-56 w-full';

function parsedOrNull(text: string | undefined) {
  try {
    const value = text?.trim() ? JSON.parse(text) : null;
    return value && typeof value === 'object' && !Array.isArray(value) ? value : null;
  } catch {
    return null;
  }
}

export function WebhookForm({ webhook }: { webhook?: Webhook }) {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const eventTypes = useQuery(trpc.eventTypes.list.queryOptions());
  const form = useForm<WebhookFormValues, unknown, WebhookFormOutput>({
    resolver: zodResolver(WebhookFormSchema),
    // A new webhook's secret is made here, so a test before saving is signed with it (see newSigningSecret).
    defaultValues: webhook ? formValuesOf(webhook) : { ...EMPTY_WEBHOOK_FORM, secret: newSigningSecret() },
    mode: 'onTouched',
  });
  const { errors } = form.formState;
  const onSaved = async (saved: Webhook) => {
    await queryClient.invalidateQueries({ queryKey: trpc.insights.webhooks.queryKey() });
    queryClient.setQueryData(trpc.webhooks.get.queryKey({ webhookId: saved.id }), saved);
    router.push(`/webhooks/${saved.id}`);
  };
  const create = useMutation(trpc.webhooks.create.mutationOptions({ onSuccess: onSaved }));
  const update = useMutation(trpc.webhooks.update.mutationOptions({ onSuccess: onSaved }));
  const saving = create.isPending || update.isPending;
  const saveError = create.error ?? update.error;

  const submit = form.handleSubmit((values) => {
    const input = toWebhookInput(values);
    if (webhook) update.mutate({ webhookId: webhook.id, data: input });
    else create.mutate({ ...input, secret: values.secret || null });
  });

  return (
    <div className="grid grid-cols-1 gap-6 lg:grid-cols-[minmax(0,1fr)_minmax(0,28rem)]">
      <form
        onSubmit={submit}
        noValidate
        className="grid min-w-0 grid-cols-1 content-start gap-6"
        aria-label="Webhook"
      >
        {saveError && <Alert variant="destructive">{saveError.message}</Alert>}
        <Card>
          <CardHeader>
            <CardTitle>Where and when</CardTitle>
          </CardHeader>
          <CardContent className="grid gap-4">
            <Field label="URL" hint="Ricochet POSTs each event here." error={errors.requestUrl?.message}>
              {(props) => (
                <Input
                  type="url"
                  placeholder="https://example.com/hooks/ricochet"
                  {...props}
                  {...form.register('requestUrl')}
                />
              )}
            </Field>
            <fieldset
              className="grid gap-2"
              aria-describedby={errors.eventTypes ? 'event-types-error' : undefined}
            >
              <legend className="mb-1 text-sm font-medium">Event types</legend>
              {/* A box of fixed height that scrolls: the catalogue may be long, and the page below
                  stays where it is when the list arrives. */}
              {eventTypes.isPending ? (
                <Skeleton className={EVENT_TYPE_BOX} />
              ) : (
                <Controller
                  control={form.control}
                  name="eventTypes"
                  render={({ field }) => (
                    <div
                      className={cn(
                        EVENT_TYPE_BOX,
                        'grid auto-rows-min grid-cols-1 gap-2 overflow-y-auto rounded-md border p-3 sm:grid-cols-2',
                      )}
                    >
                      {eventTypes.data?.map((type) => {
                        const checked = field.value.includes(type.name);
                        return (
                          <Label key={type.name} className="font-normal">
                            <Checkbox
                              checked={checked}
                              onCheckedChange={(value) =>
                                field.onChange(
                                  value
                                    ? [...field.value, type.name]
                                    : field.value.filter((name) => name !== type.name),
                                )
                              }
                              onBlur={field.onBlur}
                            />
                            <span className="font-mono text-xs">{type.name}</span>
                          </Label>
                        );
                      })}
                    </div>
                  )}
                />
              )}
              {errors.eventTypes && (
                <p id="event-types-error" className="text-sm text-destructive" data-field-error>
                  {errors.eventTypes.message ?? errors.eventTypes.root?.message}
                </p>
              )}
            </fieldset>
            <Field label="Description" error={errors.description?.message}>
              {(props) => (
                <Input placeholder="What this webhook is for" {...props} {...form.register('description')} />
              )}
            </Field>
            {!webhook && (
              <Field
                label="Signing secret"
                hint="Every request is signed with it (webhook-signature); receivers verify with it. Saved with the webhook, rotated on its page."
                error={errors.secret?.message}
              >
                {(props) => (
                  <Input
                    autoComplete="off"
                    spellCheck={false}
                    className="font-mono"
                    {...props}
                    {...form.register('secret')}
                  />
                )}
              </Field>
            )}
          </CardContent>
        </Card>

        <Card>
          <CardHeader>
            <CardTitle>Condition</CardTitle>
            <CardDescription>
              Only events whose data has these values; leave empty to receive all.
            </CardDescription>
          </CardHeader>
          <CardContent className="grid gap-4 sm:grid-cols-3">
            <Field label="Actor ID" error={errors.actorId?.message}>
              {(props) => <Input {...props} {...form.register('actorId')} />}
            </Field>
            <Field label="Actor task ID" error={errors.actorTaskId?.message}>
              {(props) => <Input {...props} {...form.register('actorTaskId')} />}
            </Field>
            <Field label="Actor run ID" error={errors.actorRunId?.message}>
              {(props) => <Input {...props} {...form.register('actorRunId')} />}
            </Field>
          </CardContent>
        </Card>

        <Card>
          <CardHeader>
            <CardTitle>Request</CardTitle>
            <CardDescription>
              Templates use {'{{eventType}}'}, {'{{eventData}}'}, {'{{resource}}'}, {'{{createdAt}}'},{' '}
              {'{{userId}}'} and dot paths.
            </CardDescription>
          </CardHeader>
          <CardContent className="grid gap-4">
            <Field
              label="Payload template"
              hint="Empty: Apify's default payload."
              error={errors.payloadTemplate?.message}
            >
              {(props) => (
                <Textarea
                  rows={6}
                  placeholder={DEFAULT_PAYLOAD_TEMPLATE}
                  {...props}
                  {...form.register('payloadTemplate')}
                />
              )}
            </Field>
            <Field
              label="Headers template"
              hint='A JSON object template, e.g. {"X-Event": {{eventType}}}'
              error={errors.headersTemplate?.message}
            >
              {(props) => <Textarea rows={3} {...props} {...form.register('headersTemplate')} />}
            </Field>
            <div className="grid gap-4 sm:grid-cols-2">
              <Field label="Static headers (JSON)" error={errors.headersText?.message}>
                {(props) => (
                  <Textarea
                    rows={3}
                    placeholder='{"X-Team": "billing"}'
                    {...props}
                    {...form.register('headersText')}
                  />
                )}
              </Field>
              <Field
                label="Static properties (JSON)"
                hint="Merged into the body's top level."
                error={errors.propertiesText?.message}
              >
                {(props) => (
                  <Textarea
                    rows={3}
                    placeholder='{"source": "ricochet"}'
                    {...props}
                    {...form.register('propertiesText')}
                  />
                )}
              </Field>
            </div>
            <Field
              label="Rate limit (calls per second)"
              hint="Empty: no limit. At most this many calls to the URL start per second; the others wait their turn."
              error={errors.rateLimitText?.message}
            >
              {(props) => (
                <Input
                  inputMode="numeric"
                  autoComplete="off"
                  placeholder="No limit"
                  className="sm:w-40"
                  {...props}
                  {...form.register('rateLimitText')}
                />
              )}
            </Field>
            <Field
              label="Errors e-mail"
              hint="Also told by e-mail when this webhook is failing or disabled (besides your account's alert address)."
              error={errors.errorsEmailText?.message}
            >
              {(props) => (
                <Input
                  type="email"
                  autoComplete="off"
                  placeholder="oncall@example.com"
                  className="sm:w-80"
                  {...props}
                  {...form.register('errorsEmailText')}
                />
              )}
            </Field>
            <div className="grid gap-3">
              {(
                [
                  [
                    'shouldInterpolateStrings',
                    'Interpolate variables inside strings of the payload template',
                  ],
                  ['doNotRetry', 'Do not retry: one attempt only'],
                  ['ignoreSslErrors', 'Ignore TLS certificate errors'],
                  ['propagateTraceContext', 'Send the W3C traceparent header (when tracing is on)'],
                ] as const
              ).map(([name, label]) => (
                <Controller
                  key={name}
                  control={form.control}
                  name={name}
                  render={({ field }) => (
                    <Label className="font-normal">
                      <Checkbox
                        checked={Boolean(field.value)}
                        onCheckedChange={(value) => field.onChange(value === true)}
                      />
                      {label}
                    </Label>
                  )}
                />
              ))}
            </div>
          </CardContent>
        </Card>
        <div className="flex flex-wrap gap-2">
          <Button type="submit" disabled={saving}>
            {webhook ? 'Save changes' : 'Create webhook'}
          </Button>
          <Button type="button" variant="outline" onClick={() => router.back()}>
            Cancel
          </Button>
        </div>
      </form>
      <aside className="grid min-w-0 grid-cols-1 content-start gap-6">
        <RequestPreview control={form.control} />
        <TestDefinition control={form.control} webhookId={webhook?.id} />
      </aside>
    </div>
  );
}

type FormControl = ReturnType<typeof useForm<WebhookFormValues, unknown, WebhookFormOutput>>['control'];

/** The request this definition would send for a sample event, rendered by the server's delivery code. */
function RequestPreview({ control }: { control: FormControl }) {
  const trpc = useTRPC();
  const values = useDebounced(useWatch({ control }), 400);
  const preview = useQuery(
    trpc.insights.previewRequest.queryOptions(
      {
        requestUrl: values.requestUrl ?? '',
        eventType: values.eventTypes?.[0] ?? 'TEST',
        payloadTemplate: values.payloadTemplate || null,
        headersTemplate: values.headersTemplate || null,
        shouldInterpolateStrings: Boolean(values.shouldInterpolateStrings),
        headers: parsedOrNull(values.headersText),
        properties: parsedOrNull(values.propertiesText),
      },
      { placeholderData: keepPreviousData },
    ),
  );
  return (
    <Card>
      <CardHeader>
        <CardTitle>Preview</CardTitle>
        <CardDescription>
          The request for a sample {values.eventTypes?.[0] ?? 'TEST'} event (dummy secret).
        </CardDescription>
      </CardHeader>
      <CardContent className="grid gap-3" aria-live="polite">
        {!preview.data ? (
          // The rendered request's own size: the URL line and the two blocks below.
          <div className="grid gap-3">
            <Skeleton className="h-4 w-2/3" />
            <Skeleton className="h-40 w-full" />
            <Skeleton className="h-72 w-full" />
          </div>
        ) : preview.data.error ? (
          <Alert variant="destructive">{preview.data.error}</Alert>
        ) : (
          <>
            <p className="truncate font-mono text-xs" title={preview.data.url}>
              POST {preview.data.url || '(no URL yet)'}
            </p>
            <CodeBlock label="Preview headers" className="h-40" data-testid="preview-headers">
              {formatHeaders(preview.data.headers)}
            </CodeBlock>
            <CodeBlock label="Preview body" className="h-72" data-testid="preview-body">
              {(() => {
                try {
                  return JSON.stringify(JSON.parse(preview.data.body), null, 2);
                } catch {
                  return preview.data.body;
                }
              })()}
            </CodeBlock>
          </>
        )}
      </CardContent>
    </Card>
  );
}

/**
 * Tests the definition as it stands in the form, before it is saved: Apify's TEST event rendered with
 * these templates, signed and sent once now (webhooks.testUnsaved, REST POST /v2/webhook-tests).
 */
function TestDefinition({ control, webhookId }: { control: FormControl; webhookId: string | undefined }) {
  const trpc = useTRPC();
  const values = useWatch({ control });
  const test = useMutation(trpc.webhooks.testUnsaved.mutationOptions());
  // A saved webhook's test is signed with its newest live secret, the one deliveries are signed with.
  const secrets = useQuery(
    trpc.webhooks.secrets.queryOptions({ webhookId: webhookId ?? '' }, { enabled: webhookId !== undefined }),
  );
  const secret = webhookId === undefined ? values.secret || null : (secrets.data?.secrets[0]?.secret ?? null);
  const url = values.requestUrl ?? '';
  const call = test.data?.call;
  return (
    <Card>
      <CardHeader>
        <CardTitle>Test before saving</CardTitle>
        <CardDescription>
          Sends a TEST event rendered with these templates to the URL now, signed with{' '}
          {webhookId === undefined ? 'the signing secret above' : "the webhook's current secret"}, and shows
          the answer.
        </CardDescription>
      </CardHeader>
      <CardContent className="grid gap-3">
        <Button
          type="button"
          variant="outline"
          disabled={!url || test.isPending || (webhookId !== undefined && !secrets.data)}
          onClick={() =>
            test.mutate({
              requestUrl: url,
              secret,
              payloadTemplate: values.payloadTemplate || null,
              headersTemplate: values.headersTemplate || null,
              shouldInterpolateStrings: Boolean(values.shouldInterpolateStrings),
              ignoreSslErrors: Boolean(values.ignoreSslErrors),
              headers: parsedOrNull(values.headersText),
              properties: parsedOrNull(values.propertiesText),
            })
          }
        >
          <SendIcon aria-hidden="true" /> {test.isPending ? 'Sending…' : 'Send test request'}
        </Button>
        <div aria-live="polite" data-testid="unsaved-test-result">
          {test.error && <Alert variant="destructive">{test.error.message}</Alert>}
          {test.data && call && (
            <div className="grid gap-2">
              <p className={test.data.succeeded ? 'text-success' : 'text-destructive'}>
                {test.data.succeeded ? 'The receiver answered 2xx' : 'The receiver did not answer 2xx'}
                {call.responseStatus !== null ? ` (HTTP ${call.responseStatus})` : ''}
                {call.errorMessage ? `: ${call.errorMessage}` : '.'}
              </p>
              {call.responseBody !== null && (
                <CodeBlock label="Test response" className="max-h-60 whitespace-pre-wrap">
                  {call.responseBody}
                </CodeBlock>
              )}
            </div>
          )}
        </div>
      </CardContent>
    </Card>
  );
}
