import { LIST_PAGE_MAX_BYTES } from '@ricochet/schema';

/** Rows asked for first, before the size of the items is known. */
const FIRST_CHUNK = 20;
/** At most this many rows per query, however small the items. */
const MAX_CHUNK = 250;

/**
 * One page of a list, built within a byte budget, from rows read in chunks: the memory a list
 * takes is one chunk of rows plus the page itself (at most `maxBytes` of JSON), whatever `limit`
 * asks for and however large the rows are. Items are added in order until `limit` is reached,
 * the rows run out, or the next item would take the page's JSON past `maxBytes` (the page is then
 * shorter, and `count` tells the client where the next one starts). The first item is always
 * added, so a list never stalls on one large item.
 *
 * `fetchRows(skip, take)` reads the rows of the page from its start (the page's own offset is the
 * caller's); `toItems` turns a chunk of rows into items (it may drop rows, as a dispatch whose
 * webhook is gone is dropped), and `sizeOf` measures an item's JSON (JSON.stringify by default).
 * The chunk size adapts to the items seen so far, so a page of small items takes a few queries.
 */
export async function collectPage<Row, Item>(args: {
  limit: number;
  fetchRows: (skip: number, take: number) => Promise<Row[]>;
  toItems: (rows: Row[]) => Promise<Item[]> | Item[];
  maxBytes?: number;
  sizeOf?: (item: Item) => number;
}): Promise<Item[]> {
  const maxBytes = args.maxBytes ?? LIST_PAGE_MAX_BYTES;
  const sizeOf = args.sizeOf ?? ((item: Item) => Buffer.byteLength(JSON.stringify(item)));
  const items: Item[] = [];
  let bytes = 0;
  let skip = 0;
  let take = Math.min(FIRST_CHUNK, args.limit);
  for (;;) {
    const rows = await args.fetchRows(skip, take);
    skip += rows.length;
    for (const item of await args.toItems(rows)) {
      // One comma between items.
      const size = sizeOf(item) + 1;
      if (items.length > 0 && bytes + size > maxBytes) return items;
      items.push(item);
      bytes += size;
      if (items.length >= args.limit) return items;
    }
    if (rows.length < take) return items;
    // As many rows as the budget left would hold at the average size so far.
    take =
      items.length === 0
        ? FIRST_CHUNK
        : Math.max(
            1,
            Math.min(
              MAX_CHUNK,
              args.limit - items.length,
              Math.floor((maxBytes - bytes) / (bytes / items.length)),
            ),
          );
  }
}
