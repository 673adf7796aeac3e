import { z } from 'zod';

/** Apify's event catalogue, built into every installation. */
export const APIFY_EVENT_TYPES = [
  'ACTOR.BUILD.ABORTED',
  'ACTOR.BUILD.CREATED',
  'ACTOR.BUILD.FAILED',
  'ACTOR.BUILD.SUCCEEDED',
  'ACTOR.BUILD.TIMED_OUT',
  'ACTOR.RUN.ABORTED',
  'ACTOR.RUN.CREATED',
  'ACTOR.RUN.FAILED',
  'ACTOR.RUN.RESURRECTED',
  'ACTOR.RUN.SUCCEEDED',
  'ACTOR.RUN.TIMED_OUT',
  'TEST',
] as const;
export type ApifyEventType = (typeof APIFY_EVENT_TYPES)[number];

const actorRunExample = (status: string) => ({
  actorId: 'vR3dmoSTmYGd7nrmX',
  actorTaskId: null,
  actorRunId: 'HG7ML7M8z78YcAPEB',
  startedAt: '2026-01-31T10:00:00.000Z',
  finishedAt: status === 'RUNNING' || status === 'READY' ? null : '2026-01-31T10:04:12.000Z',
  status,
});
const actorBuildExample = (status: string) => ({
  actorId: 'vR3dmoSTmYGd7nrmX',
  actorBuildId: 'BhG4kcx5d2Cq8JTOP',
  startedAt: '2026-01-31T10:00:00.000Z',
  finishedAt: status === 'RUNNING' ? null : '2026-01-31T10:01:30.000Z',
  status,
});

/** Apify's catalogue as the dashboard shows it: what each type means and a sample eventData. */
export const BUILT_IN_EVENT_TYPE_DOCS: Record<
  ApifyEventType,
  { description: string; exampleData: Record<string, unknown> }
> = {
  'ACTOR.BUILD.ABORTED': {
    description: 'An Actor build was aborted before it finished.',
    exampleData: actorBuildExample('ABORTED'),
  },
  'ACTOR.BUILD.CREATED': {
    description: 'An Actor build started.',
    exampleData: actorBuildExample('RUNNING'),
  },
  'ACTOR.BUILD.FAILED': {
    description: 'An Actor build finished with an error.',
    exampleData: actorBuildExample('FAILED'),
  },
  'ACTOR.BUILD.SUCCEEDED': {
    description: 'An Actor build finished successfully.',
    exampleData: actorBuildExample('SUCCEEDED'),
  },
  'ACTOR.BUILD.TIMED_OUT': {
    description: 'An Actor build ran out of time.',
    exampleData: actorBuildExample('TIMED-OUT'),
  },
  'ACTOR.RUN.ABORTED': {
    description: 'An Actor run was aborted by a user or the platform.',
    exampleData: actorRunExample('ABORTED'),
  },
  'ACTOR.RUN.CREATED': { description: 'An Actor run started.', exampleData: actorRunExample('READY') },
  'ACTOR.RUN.FAILED': {
    description: 'An Actor run finished with an error.',
    exampleData: actorRunExample('FAILED'),
  },
  'ACTOR.RUN.RESURRECTED': {
    description: 'A finished Actor run was resurrected and runs again.',
    exampleData: actorRunExample('RUNNING'),
  },
  'ACTOR.RUN.SUCCEEDED': {
    description: 'An Actor run finished successfully.',
    exampleData: actorRunExample('SUCCEEDED'),
  },
  'ACTOR.RUN.TIMED_OUT': {
    description: 'An Actor run ran out of time.',
    exampleData: actorRunExample('TIMED-OUT'),
  },
  TEST: {
    description: 'A test event, sent by "Test" in the dashboard or POST /v2/webhooks/:webhookId/test.',
    exampleData: { message: 'This is a test event from Ricochet.' },
  },
};

export function isBuiltInEventType(name: string): name is ApifyEventType {
  return (APIFY_EVENT_TYPES as readonly string[]).includes(name);
}

/**
 * An event type's name: Apify's (`ACTOR.RUN.SUCCEEDED`) or one a user registered
 * (`contact.created`, `sale.changed`). Whether it is known is checked against the user's catalogue.
 */
export const EventTypeNameSchema = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]*$/, 'must be letters, digits and . _ : - (e.g. contact.created)')
  .meta({ id: 'EventTypeName', example: 'ACTOR.RUN.SUCCEEDED' });

/** A sample eventData of a type: what a subscriber's webhook will receive. */
const ExampleDataSchema = z.record(z.string(), z.unknown());

export const EventTypeSchema = z
  .object({
    name: EventTypeNameSchema,
    description: z.string().nullable(),
    exampleData: ExampleDataSchema.nullable(),
    builtIn: z.boolean(),
    createdAt: z.iso.datetime().nullable(),
  })
  .meta({ id: 'EventType' });
export type EventType = z.infer<typeof EventTypeSchema>;

export const CreateEventTypeInputSchema = z
  .object({
    name: EventTypeNameSchema,
    description: z.string().max(1000).nullish(),
    exampleData: ExampleDataSchema.nullish().refine(
      (example) => example == null || JSON.stringify(example).length <= 16_000,
      'must serialize to at most 16,000 bytes of JSON',
    ),
  })
  .meta({ id: 'CreateEventTypeInput' });
export type CreateEventTypeInput = z.input<typeof CreateEventTypeInputSchema>;
