import { SessionInfoSchema } from '@ricochet/schema';
import { defineOperation } from '../operation.ts';

export const session = defineOperation({
  summary: 'Who is signed in, or null',
  access: 'public',
  procedure: 'query',
  output: SessionInfoSchema.nullable(),
  run: ({ principal }) => principal?.session?.info ?? null,
});
