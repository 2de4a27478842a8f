import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import dns from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { DataSource } from 'typeorm';
import { Actor, actorKey } from '../common/actor';
import { BusinessRuleError, ForbiddenError, NotFoundError } from '../common/errors';
import { withTransaction } from '../common/database/transaction';
import { keysetSql, PageRequest, positionalBinder } from '../common/pagination';
import { groupedBy } from '../common/loaders';
import type { RetentionTarget } from '../common/retention';
import type { WebhookSettings } from '../common/config';
import { emit, OUTBOX_EVENT_TYPES, OutboxEvent, OutboxEventType, readOutbox } from './outbox';

/** The configuration's WebhookSettings (WEBHOOK_* in README "Configuration") and the fixed timings. */
export interface WebhookOptions extends WebhookSettings {
  /** First retry after about this long; each next one doubles, at most `maxDelayMs`, with jitter. */
  baseDelayMs: number;
  maxDelayMs: number;
  timeoutMs: number;
}

export const DEFAULT_WEBHOOK_OPTIONS: WebhookOptions = {
  retryPeriodMs: 72 * 3600_000,
  disableAfterMs: 72 * 3600_000,
  baseDelayMs: 30_000,
  maxDelayMs: 3600_000,
  allowLoopback: false,
  timeoutMs: 10_000,
};

/** Finished deliveries (delivered or given up) go WEBHOOK_DELIVERY_RETENTION_DAYS after they were created. */
export const WEBHOOK_DELIVERY_RETENTION: RetentionTarget = {
  table: 'webhook_delivery',
  key: ['id'],
  since: 'created_at',
  done: "status <> 'PENDING'",
};

/** The signature header: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">`, one v1 per secret in use. */
export const SIGNATURE_HEADER = 'webhook-signature';

export function signatureHeader(body: string, secrets: string[], at = new Date()): string {
  const t = Math.floor(at.getTime() / 1000);
  const signatures = secrets.map((secret) => `v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`);
  return [`t=${t}`, ...signatures].join(',');
}

/** What a receiver does (README): true when one v1 matches and t is within `toleranceSeconds`. */
export function verifySignature(body: string, header: string, secret: string, toleranceSeconds = 300): boolean {
  const parts = header.split(',').map((part) => part.split('=', 2) as [string, string]);
  const t = Number(parts.find(([key]) => key === 't')?.[1]);
  if (!Number.isFinite(t) || Math.abs(Date.now() / 1000 - t) > toleranceSeconds) return false;
  const expected = Buffer.from(createHmac('sha256', secret).update(`${t}.${body}`).digest('hex'));
  const matches = (value: string) => value.length === expected.length && timingSafeEqual(Buffer.from(value), expected);
  return parts.some(([key, value]) => key === 'v1' && matches(value));
}

/** Whether an address may be called: never private, link-local, metadata, unspecified; loopback only when allowed. */
export function addressAllowed(address: string, allowLoopback: boolean): boolean {
  const v4 = net.isIPv4(address) ? address : /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  if (v4) {
    const [a, b] = v4.split('.').map(Number);
    if (a === 127) return allowLoopback;
    return !(
      a === 0 ||
      a === 10 ||
      (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168) ||
      (a === 169 && b === 254) ||
      (a === 100 && b >= 64 && b <= 127) ||
      a >= 224
    );
  }
  const v6 = address.toLowerCase();
  if (v6 === '::1') return allowLoopback;
  // Unspecified, unique local (fc00::/7, also the EC2 metadata fd00:ec2::254), link-local (fe80::/10), multicast.
  return !(v6 === '::' || /^f[cd]/.test(v6) || /^fe[89ab]/.test(v6) || /^ff/.test(v6));
}

/** Checks an endpoint URL: https (http only where loopback is allowed), a host name or address. */
export function checkEndpointUrl(url: string, allowLoopback: boolean): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new BusinessRuleError('INVALID_URL', 'url must be an absolute https URL', ['input', 'url']);
  }
  const schemeAllowed = parsed.protocol === 'https:' || (allowLoopback && parsed.protocol === 'http:');
  if (!schemeAllowed || parsed.username || parsed.password || url.length > 2048) {
    throw new BusinessRuleError('INVALID_URL', 'url must be an https URL without credentials', ['input', 'url']);
  }
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  if (net.isIP(host) && !addressAllowed(host, allowLoopback)) {
    const message = 'url must not point at a private, loopback or link-local address';
    throw new BusinessRuleError('URL_NOT_ALLOWED', message, ['input', 'url']);
  }
  return parsed;
}

/** A delivery claimed for an attempt, with what signing and sending it takes. */
interface DueDelivery {
  id: string;
  endpoint_id: string;
  event_id: string;
  body: string;
  url: string;
  secret: string;
  previous_secret: string | null;
  created_at: Date;
  attempts: number;
}

export interface WebhookEndpointRow {
  id: string;
  institutionId: string;
  url: string;
  eventTypes: string[];
  status: 'ACTIVE' | 'DISABLED';
  disabledReason: string | null;
  createdAt: Date;
}

export interface WebhookDeliveryRow {
  id: string;
  eventId: string;
  eventType: string;
  status: 'PENDING' | 'DELIVERED' | 'FAILED';
  attempts: number;
  attemptLog: Array<{ at: string; statusCode: number | null; error: string | null }>;
  nextAttemptAt: Date | null;
  deliveredAt: Date | null;
}

const ENDPOINT_COLUMNS = `id::text, institution_id::text AS "institutionId", url, event_types AS "eventTypes", status,
  disabled_reason AS "disabledReason", created_at AS "createdAt"`;

const newSecret = () => `whsec_${randomBytes(24).toString('base64url')}`;

function requireAdmin(actor: Actor): string {
  if (actor.kind !== 'INSTITUTION' || !actor.admin) {
    throw new ForbiddenError('Only an institution admin manages webhooks');
  }
  return actor.institutionId;
}

/**
 * Webhooks for institutions: endpoints their admins register for chosen event types, fed from the
 * outbox. `dispatch` turns new outbox events into deliveries (one per endpoint and event);
 * `deliverDue` sends the deliveries that are due, signed, outside any transaction, and schedules
 * retries with exponential back-off and jitter; an endpoint failing for `disableAfterMs` is
 * disabled and its institution told (a WEBHOOK_ENDPOINT_DISABLED event).
 */
export class WebhookService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly options: WebhookOptions = DEFAULT_WEBHOOK_OPTIONS,
  ) {}

  /** Registers an endpoint; the secret is answered here once and never shown again. */
  async register(actor: Actor, input: { url: string; eventTypes: string[] }) {
    const institutionId = requireAdmin(actor);
    checkEndpointUrl(input.url, this.options.allowLoopback);
    const eventTypes = [...new Set(input.eventTypes)];
    if (eventTypes.length === 0 || eventTypes.some((type) => !OUTBOX_EVENT_TYPES.includes(type as OutboxEventType))) {
      const message = 'eventTypes must name at least one event type';
      throw new BusinessRuleError('INVALID_EVENT_TYPES', message, ['input', 'eventTypes']);
    }
    const secret = newSecret();
    const [endpoint]: WebhookEndpointRow[] = await this.dataSource.query(
      `INSERT INTO webhook_endpoint (institution_id, url, event_types, secret, created_by) VALUES ($1, $2, $3, $4, $5)
       RETURNING ${ENDPOINT_COLUMNS}`,
      [institutionId, input.url, eventTypes, secret, actorKey(actor)],
    );
    return { endpoint, secret };
  }

  /** A new secret; the previous one still signs (a second v1) for `overlapHours`. */
  async rotateSecret(actor: Actor, input: { endpointId: string; overlapHours: number }) {
    const institutionId = requireAdmin(actor);
    if (!Number.isInteger(input.overlapHours) || input.overlapHours < 0 || input.overlapHours > 168) {
      throw new BusinessRuleError('INVALID_OVERLAP', 'overlapHours must be 0 to 168', ['input', 'overlapHours']);
    }
    const secret = newSecret();
    const [endpoint]: WebhookEndpointRow[] = await this.dataSource.query(
      `WITH rotated AS (
         UPDATE webhook_endpoint SET previous_secret = secret, secret = $3,
           previous_secret_until = now() + make_interval(hours => $4)
         WHERE id = $1 AND institution_id = $2 RETURNING *
       )
       SELECT ${ENDPOINT_COLUMNS} FROM rotated`,
      [input.endpointId, institutionId, secret, input.overlapHours],
    );
    if (!endpoint) throw new NotFoundError('WebhookEndpoint');
    return { endpoint, secret };
  }

  /**
   * Sends to a disabled endpoint again (its receiver is back): ACTIVE, its failure streak forgotten.
   * Deliveries still pending are tried at once; events of the time it was disabled were not queued
   * (a receiver catches up through the subscriptions' `after:` while the outbox keeps them). An active endpoint
   * is answered unchanged.
   */
  async reactivate(actor: Actor, endpointId: string): Promise<WebhookEndpointRow> {
    const institutionId = requireAdmin(actor);
    const [endpoint]: WebhookEndpointRow[] = await this.dataSource.query(
      `WITH reactivated AS (
         UPDATE webhook_endpoint SET status = 'ACTIVE', disabled_reason = NULL, failing_since = NULL
         WHERE id = $1 AND institution_id = $2 RETURNING *
       ), due_now AS (
         UPDATE webhook_delivery d SET next_attempt_at = now() FROM reactivated r
         WHERE d.endpoint_id = r.id AND d.status = 'PENDING'
       )
       SELECT ${ENDPOINT_COLUMNS} FROM reactivated`,
      [endpointId, institutionId],
    );
    if (!endpoint) throw new NotFoundError('WebhookEndpoint');
    return endpoint;
  }

  /**
   * The admin's institution's endpoints, oldest first: all of them, or a page (keyset on id, fetched
   * with `limit + 1` in fetch order) with a count for `totalCount`.
   */
  async endpoints(actor: Actor, page?: PageRequest): Promise<WebhookEndpointRow[]> {
    const institutionId = requireAdmin(actor);
    const params: unknown[] = [institutionId];
    const keyset = page && keysetSql(page, [{ sql: 'id' }], positionalBinder(params));
    return this.dataSource.query(
      `SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoint WHERE institution_id = $1 AND ${keyset?.where ?? 'TRUE'}
       ORDER BY ${keyset?.orderBy ?? 'id'} ${page ? `LIMIT ${page.limit + 1}` : ''}`,
      params,
    );
  }

  async countEndpoints(actor: Actor): Promise<number> {
    const institutionId = requireAdmin(actor);
    const [{ n }] = await this.dataSource.query(
      `SELECT count(*)::int AS n FROM webhook_endpoint WHERE institution_id = $1`,
      [institutionId],
    );
    return n;
  }

  /**
   * The delivery logs of endpoints of the admin's institution, oldest first (keyset on id, either
   * way): a page each in fetch order, in one statement for all the endpoints (empty for another
   * institution's).
   */
  async deliveryPages(
    actor: Actor,
    endpointIds: readonly string[],
    page: PageRequest,
  ): Promise<WebhookDeliveryRow[][]> {
    const institutionId = requireAdmin(actor);
    const params: unknown[] = [[...endpointIds], institutionId, page.limit + 1];
    const keyset = keysetSql(page, [{ sql: 'd.id' }], positionalBinder(params));
    const rows: Array<WebhookDeliveryRow & { endpointId: string }> = await this.dataSource.query(
      `SELECT e.id::text AS "endpointId", d.* FROM webhook_endpoint e
       CROSS JOIN LATERAL (
         SELECT d.id::text, d.event_id::text AS "eventId", d.event_type AS "eventType", d.status, d.attempts,
                d.attempt_log AS "attemptLog", d.next_attempt_at AS "nextAttemptAt", d.delivered_at AS "deliveredAt"
         FROM webhook_delivery d WHERE d.endpoint_id = e.id AND ${keyset.where}
         ORDER BY ${keyset.orderBy} LIMIT $3) d
       WHERE e.id = ANY($1::bigint[]) AND e.institution_id = $2
       ORDER BY e.id, d.id::bigint ${page.backward ? 'DESC' : 'ASC'}`,
      params,
    );
    const groups = groupedBy(endpointIds, rows, (row) => row.endpointId);
    return groups.map((group) => group.map(({ endpointId: _, ...row }) => row));
  }

  /** How many deliveries each endpoint of the admin's institution has (for `totalCount`); one statement. */
  async countDeliveries(actor: Actor, endpointIds: readonly string[]): Promise<number[]> {
    const institutionId = requireAdmin(actor);
    const rows: Array<{ id: string; n: number }> = await this.dataSource.query(
      `SELECT e.id::text AS id, count(d.id)::int AS n FROM webhook_endpoint e
       LEFT JOIN webhook_delivery d ON d.endpoint_id = e.id
       WHERE e.id = ANY($1::bigint[]) AND e.institution_id = $2 GROUP BY e.id`,
      [[...endpointIds], institutionId],
    );
    const byId = new Map(rows.map((row) => [row.id, row.n]));
    return endpointIds.map((id) => byId.get(id) ?? 0);
  }

  /** New outbox events become deliveries for the active endpoints that asked for them; returns how many. */
  async dispatch(): Promise<number> {
    return withTransaction(this.dataSource, async (manager) => {
      const [state]: Array<{ tx: string; id: string }> = await manager.query(
        `SELECT tx::text, event_id::text AS id FROM webhook_dispatch_state FOR UPDATE`,
      );
      const events: OutboxEvent[] = await readOutbox(manager, state, 1000);
      if (events.length === 0) return 0;
      const last = events[events.length - 1];
      const [{ created }] = await manager.query(
        `WITH event AS (
           SELECT * FROM unnest($1::bigint[], $2::varchar[], $3::bigint[], $4::text[], $5::timestamptz[])
             AS ev(id, type, institution_id, body, occurred_at)
         ), created AS (
           INSERT INTO webhook_delivery (endpoint_id, event_id, event_type, body, next_attempt_at)
           SELECT e.id, ev.id, ev.type, ev.body, now() FROM event ev
           JOIN webhook_endpoint e ON e.institution_id = ev.institution_id AND ev.type = ANY(e.event_types)
           WHERE e.status = 'ACTIVE' AND ev.occurred_at >= e.created_at
           ON CONFLICT (endpoint_id, event_id) DO NOTHING RETURNING 1
         )
         SELECT count(*)::int AS created FROM created`,
        [
          events.map((event) => event.id),
          events.map((event) => event.type),
          events.map((event) => event.institutionId),
          events.map((event) =>
            JSON.stringify({ id: event.id, type: event.type, occurredAt: event.occurredAt, data: event.payload }),
          ),
          events.map((event) => event.occurredAt),
        ],
      );
      await manager.query(`UPDATE webhook_dispatch_state SET tx = $1::xid8, event_id = $2`, [last.tx, last.id]);
      return created;
    });
  }

  /** Sends the deliveries due now (claimed with a lease, so processes never send one twice at once). */
  async deliverDue(limit = 50): Promise<number> {
    const due: DueDelivery[] = await this.dataSource.query(
      `WITH due AS (
         SELECT d.id FROM webhook_delivery d JOIN webhook_endpoint e ON e.id = d.endpoint_id
         WHERE d.status = 'PENDING' AND d.next_attempt_at <= now() AND e.status = 'ACTIVE'
         ORDER BY d.id LIMIT $1 FOR UPDATE OF d SKIP LOCKED
       ), claimed AS (
         UPDATE webhook_delivery d SET next_attempt_at = now() + make_interval(secs => $2)
         FROM due WHERE d.id = due.id RETURNING d.*
       )
       SELECT c.id::text, c.endpoint_id::text, c.event_id::text, c.body, c.created_at, c.attempts, e.url, e.secret,
         CASE WHEN e.previous_secret_until > now() THEN e.previous_secret END AS previous_secret
       FROM claimed c JOIN webhook_endpoint e ON e.id = c.endpoint_id ORDER BY c.id`,
      [limit, Math.ceil((this.options.timeoutMs * 3) / 1000)],
    );
    await Promise.all(due.map((delivery) => this.attempt(delivery)));
    return due.length;
  }

  private async attempt(delivery: DueDelivery): Promise<void> {
    const secrets = [delivery.secret, ...(delivery.previous_secret ? [delivery.previous_secret] : [])];
    const headers = {
      'content-type': 'application/json',
      [SIGNATURE_HEADER]: signatureHeader(delivery.body, secrets),
      'webhook-id': delivery.event_id,
    };
    const outcome = await post(delivery.url, delivery.body, headers, this.options);
    const ok = outcome.statusCode !== null && outcome.statusCode >= 200 && outcome.statusCode < 300;
    const entry = JSON.stringify({ at: new Date(), statusCode: outcome.statusCode, error: outcome.error });
    const attempts = delivery.attempts + 1;
    const delay = Math.min(this.options.maxDelayMs, this.options.baseDelayMs * 2 ** (attempts - 1));
    // Jitter: somewhere in the second half of the back-off, so endpoints recovering are not hit at once.
    const next = new Date(Date.now() + delay / 2 + (Math.random() * delay) / 2);
    const givenUp = !ok && next.getTime() - new Date(delivery.created_at).getTime() > this.options.retryPeriodMs;
    await this.dataSource.query(
      `UPDATE webhook_delivery SET attempts = $2, attempt_log = attempt_log || $3::jsonb,
         status = $4::webhook_delivery_status, next_attempt_at = $5, delivered_at = CASE WHEN $6 THEN now() END
       WHERE id = $1`,
      [
        delivery.id,
        attempts,
        `[${entry}]`,
        ok ? 'DELIVERED' : givenUp ? 'FAILED' : 'PENDING',
        ok || givenUp ? null : next,
        ok,
      ],
    );
    if (ok) {
      const recovered = `UPDATE webhook_endpoint SET failing_since = NULL WHERE id = $1`;
      await this.dataSource.query(recovered, [delivery.endpoint_id]);
      return;
    }
    await withTransaction(this.dataSource, async (manager) => {
      const [endpoint] = await manager.query(
        `WITH failing AS (
           UPDATE webhook_endpoint SET failing_since = coalesce(failing_since, now()) WHERE id = $1 RETURNING *
         )
         SELECT institution_id::text, status, failing_since < now() - make_interval(secs => $2) AS too_long
         FROM failing`,
        [delivery.endpoint_id, this.options.disableAfterMs / 1000],
      );
      if (!endpoint?.too_long || endpoint.status !== 'ACTIVE') return;
      await manager.query(
        `UPDATE webhook_endpoint SET status = 'DISABLED', disabled_reason = 'failing since ' || failing_since
         WHERE id = $1`,
        [delivery.endpoint_id],
      );
      await emit(manager, {
        type: 'WEBHOOK_ENDPOINT_DISABLED',
        institutionId: endpoint.institution_id,
        platform: false,
        payload: { webhookEndpointId: ['WebhookEndpoint', delivery.endpoint_id] },
      });
    });
  }
}

/**
 * POSTs with the SSRF guard applied to the address actually connected to (checked when the host
 * name is resolved, so a name that changes its address between checks is caught too).
 */
async function post(
  url: string,
  body: string,
  headers: Record<string, string>,
  options: WebhookOptions,
): Promise<{ statusCode: number | null; error: string | null }> {
  let parsed: URL;
  try {
    parsed = checkEndpointUrl(url, options.allowLoopback);
  } catch (error) {
    return { statusCode: null, error: (error as Error).message };
  }
  const lookup: net.LookupFunction = (hostname, lookupOptions, callback) => {
    dns.lookup(hostname, { all: true }).then(
      (addresses) => {
        const refused = addresses.find(({ address }) => !addressAllowed(address, options.allowLoopback));
        if (refused || addresses.length === 0) {
          callback(new Error(`${hostname} resolves to an address that is not allowed`), '', 4);
        } else if ((lookupOptions as { all?: boolean }).all) {
          (callback as unknown as (e: null, a: typeof addresses) => void)(null, addresses);
        } else callback(null, addresses[0].address, addresses[0].family);
      },
      (error) => callback(error, '', 4),
    );
  };
  const client = parsed.protocol === 'https:' ? https : http;
  return new Promise((resolve) => {
    const request = client.request(
      parsed,
      {
        method: 'POST',
        headers: { ...headers, 'content-length': Buffer.byteLength(body) },
        lookup,
        timeout: options.timeoutMs,
      },
      (response) => {
        response.resume();
        response.on('end', () => resolve({ statusCode: response.statusCode ?? null, error: null }));
        response.on('error', () => resolve({ statusCode: response.statusCode ?? null, error: 'response interrupted' }));
      },
    );
    request.on('timeout', () => request.destroy(new Error('timed out')));
    request.on('error', (error) => resolve({ statusCode: null, error: error.message.slice(0, 200) }));
    request.end(body);
  });
}
