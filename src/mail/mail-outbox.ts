import { DataSource, EntityManager } from 'typeorm';
import { processLogger } from '../common/http/logging';
import type { RetentionTarget } from '../common/retention';

/**
 * Messages go MAIL_RETENTION_DAYS after they were written, sent or not: what they carry (an invitation's
 * link) has expired long before, and a body kept for ever would keep its secrets for ever.
 */
export const MAIL_OUTBOX_RETENTION: RetentionTarget = { table: 'mail_outbox', key: ['id'], since: 'created_at' };

/** One outbound email. */
export interface MailMessage {
  to: string;
  subject: string;
  body: string;
}

export interface PendingMail extends MailMessage {
  id: string;
  createdAt: Date;
}

/**
 * The platform's outbound mail (`mail_outbox`): a message is written in the transaction that makes
 * it, so it exists exactly when what it announces was committed. A mail relay would send the
 * pending ones and set `sent_at`; none exists yet. Meanwhile, outside production, each message is
 * written to the log (info) once committed, and operators who confirm by hand list an address's
 * pending mail with `npm run mail:pending -- --to ADDRESS`.
 */
export class MailOutbox {
  constructor(
    private readonly dataSource: DataSource,
    /** Log whole messages (development); in production bodies may carry secrets (an invitation's link). */
    private readonly logBodies: boolean,
  ) {}

  /** Writes the message in the caller's transaction; call `announce` after it commits. */
  async queue(manager: EntityManager, message: MailMessage): Promise<string> {
    const [row]: Array<{ id: string }> = await manager.query(
      `INSERT INTO mail_outbox (recipient, subject, body) VALUES ($1, $2, $3) RETURNING id::text AS id`,
      [message.to, message.subject, message.body],
    );
    return row.id;
  }

  /** Tells the log that a committed message waits for the relay (the whole message outside production). */
  announce(id: string, message: MailMessage): void {
    if (this.logBodies) processLogger().info({ mail: id, ...message }, `mail queued for ${message.to}`);
    else processLogger().info({ mail: id }, 'mail queued');
  }

  /** Messages to `address` not sent yet, oldest first (for operators confirming by hand). */
  async pendingFor(address: string): Promise<PendingMail[]> {
    return this.dataSource.query(
      `SELECT id::text AS id, recipient AS "to", subject, body, created_at AS "createdAt"
         FROM mail_outbox WHERE recipient = $1 AND sent_at IS NULL ORDER BY id`,
      [address.trim().toLowerCase()],
    );
  }
}
