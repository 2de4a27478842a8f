import type { EntityManager } from 'typeorm';
import { toGlobalId } from '../common/global-id';
import type { RetentionTarget } from '../common/retention';

/**
 * The transactional outbox: every business event is a row of `outbox_event`, written by the module
 * that makes the change, in its transaction (a rolled-back change leaves no event, a committed one
 * always has its event). Only this module writes the table; the others call `emit` or put
 * `emitSql` in their own set-based statement.
 */
export const OUTBOX_EVENT_TYPES = [
  'REQUEST_POSTED',
  /** A need newly fits one of an institution's products (forward or reverse matching). */
  'REQUEST_MATCHED',
  'APPLICATION_SUBMITTED',
  'APPLICATION_CLAIMED',
  'APPLICATION_ACCEPTED',
  'APPLICATION_DECLINED',
  'APPLICATION_WITHDRAWN',
  'APPLICATION_EXPIRED',
  'CREDIT_GRANT_MADE',
  'CREDIT_GRANT_PENDING_APPROVAL',
  'CREDIT_GRANT_APPROVED',
  'TRANCHE_DISBURSED',
  'ENTERPRISE_VERIFIED',
  /** An institution's webhook endpoint failed for too long and was disabled: its admins are told. */
  'WEBHOOK_ENDPOINT_DISABLED',
] as const;
export type OutboxEventType = (typeof OUTBOX_EVENT_TYPES)[number];

/**
 * Who may see an event: the institution and the enterprise it concerns, and with `platform` the
 * platform's analysts (as counts, never its payload's details).
 */
export interface OutboxScope {
  institutionId?: string | null;
  enterpriseId?: string | null;
  platform: boolean;
}

export interface OutboxEventInput extends OutboxScope {
  type: OutboxEventType;
  /** Field name → [GraphQL type name, database id]: stored as global IDs. */
  payload: Record<string, [string, string]>;
}

export interface OutboxEvent {
  /** Monotonic in allocation; delivery follows (tx, id), see readOutbox. */
  id: string;
  type: OutboxEventType;
  institutionId: string | null;
  enterpriseId: string | null;
  platform: boolean;
  payload: Record<string, string>;
  occurredAt: Date;
  /** The writing transaction (xid8 as text): the first key of the delivery order. */
  tx: string;
}

/** Writes one event in the caller's transaction. */
export async function emit(manager: EntityManager, event: OutboxEventInput): Promise<void> {
  const payload = Object.fromEntries(
    Object.entries(event.payload).map(([field, [typeName, id]]) => [field, toGlobalId(typeName, id)]),
  );
  await manager.query(
    `INSERT INTO outbox_event (type, institution_id, enterprise_id, platform, payload) VALUES ($1, $2, $3, $4, $5)`,
    [event.type, event.institutionId ?? null, event.enterpriseId ?? null, event.platform, JSON.stringify(payload)],
  );
}

/**
 * A statement (for a CTE or on its own) writing one event per row of `from`, for set-based changes:
 * the scope and payload are column expressions of those rows. `type` is a literal of this module's
 * list, so it is inlined.
 */
export function emitSql(spec: {
  type: OutboxEventType;
  from: string;
  institutionId?: string;
  enterpriseId?: string;
  platform: boolean;
  payload: Record<string, [string, string]>;
}): string {
  if (!OUTBOX_EVENT_TYPES.includes(spec.type)) throw new Error(`Unknown outbox event type ${spec.type}`);
  const fields = Object.entries(spec.payload)
    .map(([field, [typeName, column]]) => `'${field}', global_id('${typeName}', ${column})`)
    .join(', ');
  return `INSERT INTO outbox_event (type, institution_id, enterprise_id, platform, payload)
    SELECT '${spec.type}', ${spec.institutionId ?? 'NULL::bigint'}, ${spec.enterpriseId ?? 'NULL::bigint'},
      ${spec.platform}, jsonb_build_object(${fields})
    FROM ${spec.from}`;
}

/** A position in the delivery order: the last event delivered. */
export interface OutboxCursor {
  tx: string;
  id: string;
}

const EVENT_COLUMNS = `id::text, type, institution_id::text AS "institutionId", enterprise_id::text AS "enterpriseId",
  platform, payload, occurred_at AS "occurredAt", tx::text`;

/** A DataSource or EntityManager: SELECTs answer with their rows. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- TypeORM's query() answers any; callers read their rows
export type Queryable = { query(text: string, parameters?: unknown[]): Promise<any> };

/**
 * The events after `cursor` that are safe to deliver, in delivery order. An event is safe once every
 * transaction older than its own has ended (its tx below the snapshot's xmin): ids are allocated
 * before commit, so a lower id may still commit after a higher one, but never an event of an
 * older transaction after the horizon passed it. Ordering by (tx, id) then never delivers an event
 * before one that could still appear ahead of it.
 */
export async function readOutbox(db: Queryable, cursor: OutboxCursor | null, limit = 500): Promise<OutboxEvent[]> {
  return db.query(
    `SELECT ${EVENT_COLUMNS} FROM outbox_event
     WHERE tx < pg_snapshot_xmin(pg_current_snapshot())
       AND ($1::xid8 IS NULL OR (tx, id) > ($1::xid8, $2::bigint))
     ORDER BY outbox_event.tx, outbox_event.id LIMIT $3`,
    [cursor?.tx ?? null, cursor?.id ?? null, limit],
  );
}

/**
 * Where a client resuming `after` an event id stands: that event's place in the delivery order. For
 * an event already deleted (retention), the place of the first event kept after it.
 */
export async function cursorAfter(db: Queryable, eventId: string): Promise<OutboxCursor> {
  const [row]: Array<{ tx: string | null }> = await db.query(
    `SELECT coalesce((SELECT tx FROM outbox_event WHERE id = $1::bigint),
       (SELECT min(tx) FROM outbox_event WHERE id > $1::bigint))::text AS tx`,
    [eventId],
  );
  // Nothing after it either: every event to come is of a later transaction.
  return { tx: row?.tx ?? '0', id: eventId };
}

/** The last event safe to deliver now: a live feed starts after it. */
export async function outboxHead(db: Queryable): Promise<OutboxCursor> {
  const [row]: OutboxCursor[] = await db.query(
    `SELECT tx::text, id::text FROM outbox_event WHERE tx < pg_snapshot_xmin(pg_current_snapshot())
     ORDER BY outbox_event.tx DESC, outbox_event.id DESC LIMIT 1`,
  );
  return row ?? { tx: '0', id: '0' };
}

/**
 * Events past OUTBOX_RETENTION_DAYS go (resuming a subscription reaches that far back), but never one the
 * webhook dispatcher has not passed yet: a stalled dispatcher still finds every event it owes.
 */
export const OUTBOX_RETENTION: RetentionTarget = {
  table: 'outbox_event',
  key: ['id'],
  since: 'occurred_at',
  done: '(tx, id) <= (SELECT tx, event_id FROM webhook_dispatch_state)',
};
