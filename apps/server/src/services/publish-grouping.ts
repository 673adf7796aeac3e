import { setImmediate as nextTurn } from 'node:timers/promises';
import type { PrismaClient } from '../generated/prisma/client.ts';

/** One event to store, as the publish statement takes it (see insertEvents). */
export type EventToStore = {
  id: string;
  userId: string;
  eventType: string;
  eventData: Record<string, unknown>;
  resource: Record<string, unknown> | null;
  idempotencyKey: string | null;
  /** The dispatches this event's publish may create at most (each publish is one request). */
  limit: number;
  /** The publish span's W3C traceparent (null: tracing off), which its deliveries' spans continue. */
  traceparent: string | null;
};

/**
 * Stores a batch of events in one statement; returns the rows it inserted and, by event id, the
 * events it refused whole (more dispatches than their limit), with how many they would have made.
 */
export type StoreEvents<Row extends { id: string }> = (
  events: EventToStore[],
) => Promise<{ rows: Row[]; refused: Map<string, number> }>;

/** A publish's outcome: its row, or null when its idempotencyKey was taken, or its refusal. */
export type PublishOutcome<Row> = { row: Row | null; refused?: number };

type Waiting<Row> = {
  event: EventToStore;
  resolve: (outcome: PublishOutcome<Row>) => void;
  reject: (error: unknown) => void;
};

/** Events stored by one statement at most; more wait for the next. */
const MAX_EVENTS_PER_STATEMENT = 500;

/**
 * Group publishing: concurrent publishes share statements. A publish is sent at once when fewer
 * than `maxStatements` publish statements are running; otherwise it waits for one to finish and
 * goes with every other publish that waited, in one statement (one parse, one plan, one commit,
 * one NOTIFY). So a lone publish pays nothing extra, and under load the database does a fraction
 * of the per-statement work (on PGlite, one connection on this process's thread, that work is
 * most of the cost). Each publish is still answered only once the statement holding its event
 * has committed, so an accepted event is never lost.
 *
 * A statement that fails for a batch is retried once per event, so one event the database
 * refuses cannot fail the publishes that happened to share its statement.
 */
export class PublishQueue<Row extends { id: string }> {
  private waiting: Waiting<Row>[] = [];
  private running = 0;

  /**
   * @param gatherFirst wait one turn of the event loop before each statement. Needed where a
   *   statement runs synchronously on this thread (PGlite): no request can arrive while it runs,
   *   so without the turn no publish would ever wait for another to share its statement.
   */
  constructor(
    private readonly store: StoreEvents<Row>,
    private readonly maxStatements: number,
    private readonly gatherFirst = false,
  ) {}

  /** The stored row (null when the event's (userId, idempotencyKey) was already taken), or its refusal. */
  publish(event: EventToStore): Promise<PublishOutcome<Row>> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ event, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.running < this.maxStatements && this.waiting.length > 0) {
      this.running++;
      void this.runNext().finally(() => {
        this.running--;
        this.pump();
      });
    }
  }

  private async runNext(): Promise<void> {
    if (this.gatherFirst) await nextTurn();
    const batch = this.waiting.splice(0, MAX_EVENTS_PER_STATEMENT);
    if (batch.length > 0) await this.run(batch);
  }

  private async run(batch: Waiting<Row>[]): Promise<void> {
    let stored: { rows: Row[]; refused: Map<string, number> };
    try {
      stored = await this.store(batch.map((entry) => entry.event));
    } catch (error) {
      if (batch.length === 1) {
        batch[0]?.reject(error);
        return;
      }
      await Promise.all(batch.map((entry) => this.run([entry])));
      return;
    }
    const byId = new Map(stored.rows.map((row) => [row.id, row]));
    for (const entry of batch) {
      const refused = stored.refused.get(entry.event.id);
      entry.resolve(
        refused === undefined ? { row: byId.get(entry.event.id) ?? null } : { row: null, refused },
      );
    }
  }
}

const queues = new WeakMap<PrismaClient, PublishQueue<never>>();

/** The queue of a database (one per Prisma client, like its pool), made on first use. */
export function publishQueueFor<Row extends { id: string }>(
  prisma: PrismaClient,
  make: () => PublishQueue<Row>,
): PublishQueue<Row> {
  let queue = queues.get(prisma) as PublishQueue<Row> | undefined;
  if (!queue) {
    queue = make();
    queues.set(prisma, queue as unknown as PublishQueue<never>);
  }
  return queue;
}
