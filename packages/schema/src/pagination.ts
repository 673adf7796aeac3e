import { z } from 'zod';

export const MAX_PAGE_LIMIT = 1000;

/** Apify accepts `desc=1`, `desc=true`, `desc=0`, `desc=false`; anything else is a client bug. */
const BooleanFlagSchema = z.union([
  z.boolean(),
  z.enum(['1', 'true', '0', 'false']).transform((flag) => flag === '1' || flag === 'true'),
]);

/** Query string of every list endpoint. Values arrive as strings over REST, as numbers over tRPC. */
export const PaginationQuerySchema = z.object({
  offset: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(MAX_PAGE_LIMIT).default(MAX_PAGE_LIMIT),
  desc: BooleanFlagSchema.default(false),
});
export type PaginationQuery = z.output<typeof PaginationQuerySchema>;
export type PaginationQueryInput = z.input<typeof PaginationQuerySchema>;

/** Apify's list envelope: `{ total, offset, limit, count, desc, items }`. */
export function listOf<Item extends z.ZodType>(item: Item) {
  return z.object({
    total: z.number().int(),
    offset: z.number().int(),
    limit: z.number().int(),
    count: z.number().int(),
    desc: z.boolean(),
    items: z.array(item),
  });
}
export type List<Item> = {
  total: number;
  offset: number;
  limit: number;
  count: number;
  desc: boolean;
  items: Item[];
};

/** Every success answer of the REST API wraps its payload: `{ "data": ... }`. */
export function dataOf<Payload extends z.ZodType>(payload: Payload) {
  return z.object({ data: payload });
}
