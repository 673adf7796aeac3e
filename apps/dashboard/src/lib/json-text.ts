import { z } from 'zod';

/** A textarea's JSON, parsed, then checked by the API's own schema (`empty` is what a blank box means). */
export function jsonText<Schema extends z.ZodType>(schema: Schema, empty: string) {
  return z
    .string()
    .transform((text, ctx) => {
      try {
        return JSON.parse(text.trim() || empty) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be a JSON object' });
        return z.NEVER;
      }
    })
    .pipe(schema);
}
