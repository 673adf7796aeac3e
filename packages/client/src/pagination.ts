import type { List, PaginationQuery } from '@ricochet/schema';

/** offset, limit, desc: all optional (the server's defaults: 0, 1000, false). */
export type PageQuery = Partial<PaginationQuery>;

/**
 * A list request: `await` it for one page (`{ total, offset, limit, count, desc, items }`), or
 * `for await` over it for every item from `offset` on, page by page (`limit` is then the page size).
 * Nothing is fetched until one of the two happens.
 */
export class PageRequest<Item> implements PromiseLike<List<Item>>, AsyncIterable<Item> {
  #page: Promise<List<Item>> | undefined;

  constructor(
    private readonly fetchPage: (query: PageQuery) => Promise<List<Item>>,
    private readonly query: PageQuery = {},
  ) {}

  // biome-ignore lint/suspicious/noThenProperty: a lazily sent request that can be awaited is the point
  then<Result = List<Item>, Rejected = never>(
    onFulfilled?: ((page: List<Item>) => Result | PromiseLike<Result>) | null,
    onRejected?: ((reason: unknown) => Rejected | PromiseLike<Rejected>) | null,
  ): Promise<Result | Rejected> {
    this.#page ??= this.fetchPage(this.query);
    return this.#page.then(onFulfilled, onRejected);
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Item> {
    let offset = this.query.offset ?? 0;
    for (;;) {
      const page = await this.fetchPage({ ...this.query, offset });
      yield* page.items;
      offset += page.count;
      // An empty page ends it too, so a total that shrinks while we read cannot loop forever.
      if (page.count === 0 || offset >= page.total) return;
    }
  }
}
