import type { List, PaginationQuery } from '@ricochet/schema';

/**
 * Every list is ordered by creation time, as Apify's are; the id breaks ties so that pages never
 * repeat or skip rows created in the same millisecond.
 */
export function creationOrder(page: Pick<PaginationQuery, 'desc'>) {
  const direction = page.desc ? ('desc' as const) : ('asc' as const);
  return [{ createdAt: direction }, { id: direction }];
}

/** Apify's list envelope for one page of results. */
export function toList<Item>(page: PaginationQuery, total: number, items: Item[]): List<Item> {
  return { total, offset: page.offset, limit: page.limit, count: items.length, desc: page.desc, items };
}
