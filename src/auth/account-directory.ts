import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { preparedQuery } from '../common/database/prepared';
import { sessionConnectionConfig } from '../common/database/data-source';
import { briefly, processLogger } from '../common/http/logging';
import type { UserAccount } from './user-account.entity';

export type AccountBinding = Pick<UserAccount, 'id' | 'role' | 'enterpriseId' | 'institutionId'> & {
  /** An ENTERPRISE account's enterprise claim is verified (实名认证). */
  enterpriseVerified: boolean;
};

/**
 * The channel the user_account and auth_session triggers notify with the changed account's ID
 * ('*' after TRUNCATE).
 */
export const ACCOUNT_CHANGES_CHANNEL = 'user_account_changed';
const SESSIONS_KEPT = 10_000;
const RECONNECT_MS = 1000;
/**
 * A backstop, not the mechanism: a kept account is read again after this long even without a
 * notification (a silently dead connection, changes made with triggers off).
 */
const KEPT_MS = 60_000;

interface KeptSession {
  account: AccountBinding;
  expiresAtMs: number;
  until: number;
}

/**
 * Role and binding of the account behind each request's token, and whether the token's session
 * still stands. Every authenticated request needs them; reading them each time was the second
 * statement (and round trip) of every read. They are kept per process while a LISTEN connection
 * hears the triggers on user_account, auth_session and enterprise: an update or delete of an account
 * or of one of its sessions (a logout, a sign-out-everywhere, a disabled account) or a change of its
 * enterprise's verification drops everything kept for the account (all of them after a TRUNCATE)
 * as soon as it commits.
 *
 * Nothing is kept while not listening (not started, or the connection lost), so a change is never
 * missed: each request then reads the account and session. A read that overlaps a notification is
 * not kept (it may have seen the rows before the change).
 */
export class AccountDirectory {
  /**
   * account ID → its standing sessions. Only sessions that stand are kept: a new session may take a
   * freed ID, and INSERT notifies nothing.
   */
  private readonly accounts = new Map<string, Map<string, KeptSession>>();
  private kept = 0;
  private listener: Client | null = null;
  private listening = false;
  private stopped = false;
  /** Bumped by every notification and by losing the connection. */
  private generation = 0;
  private reconnectTimer: NodeJS.Timeout | null = null;

  constructor(private readonly dataSource: DataSource) {}

  /** Whether the LISTEN connection is up (readiness reports it). */
  get connected(): boolean {
    return this.listening;
  }

  /** The account behind a session that stands (not revoked, not expired, account enabled); else null. */
  async session(accountId: string, sessionId: string): Promise<AccountBinding | null> {
    const now = Date.now();
    const kept = this.listening ? this.accounts.get(accountId)?.get(sessionId) : undefined;
    if (kept && kept.until > now && kept.expiresAtMs > now) return kept.account;
    const generation = this.generation;
    const [row] = await preparedQuery<AccountBinding & { expiresAtMs: string }>(
      this.dataSource,
      'account-for-session',
      `SELECT a.id::text AS id, a.role, a.enterprise_id::text AS "enterpriseId",
         a.institution_id::text AS "institutionId",
         coalesce(e.verification_status = 'VERIFIED', false) AS "enterpriseVerified",
         (extract(epoch FROM s.expires_at) * 1000)::bigint::text AS "expiresAtMs"
       FROM auth_session s JOIN user_account a ON a.id = s.account_id LEFT JOIN enterprise e ON e.id = a.enterprise_id
       WHERE s.id = $2 AND s.account_id = $1 AND s.revoked_at IS NULL AND s.expires_at > now()
         AND a.disabled_at IS NULL`,
      [accountId, sessionId],
    );
    if (!row) return null;
    const { expiresAtMs, ...account } = row;
    if (this.listening && generation === this.generation)
      this.keep(accountId, sessionId, { account, expiresAtMs: Number(expiresAtMs), until: now + KEPT_MS });
    return account;
  }

  /** Drops everything this process kept: a change touched accounts it cannot name (an enterprise's verification). */
  forgetEveryAccount(): void {
    this.generation++;
    this.forgetAll();
  }

  /** Drops what this process kept for the account at once, not waiting for its own notification. */
  forgetAccount(accountId: string): void {
    this.generation++;
    this.drop(accountId);
  }

  private keep(accountId: string, sessionId: string, session: KeptSession) {
    if (this.kept >= SESSIONS_KEPT) this.drop(this.accounts.keys().next().value!);
    const sessions = this.accounts.get(accountId) ?? new Map<string, KeptSession>();
    if (!sessions.has(sessionId)) this.kept++;
    sessions.set(sessionId, session);
    this.accounts.set(accountId, sessions);
  }

  private drop(accountId: string) {
    this.kept -= this.accounts.get(accountId)?.size ?? 0;
    this.accounts.delete(accountId);
  }

  /** Starts listening; until it does (and whenever the connection is lost) nothing is kept. */
  async start(): Promise<void> {
    this.stopped = false;
    await this.listen().catch((error) =>
      processLogger().warn(
        { error: briefly(error) },
        'not listening for account changes; reading accounts on every request',
      ),
    );
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.forget();
    const listener = this.listener;
    this.listener = null;
    await listener?.end().catch(() => undefined);
  }

  private async listen(): Promise<void> {
    // The pool's own connection settings (DATABASE_DIRECT_URL behind a pooler), for one connection outside it.
    // TCP keepalive, so a connection that died silently ends (and stops the keeping) instead of hanging.
    const client = new Client({ ...sessionConnectionConfig(this.dataSource), keepAlive: true });
    client.on('notification', (message) => {
      if (message.channel !== ACCOUNT_CHANGES_CHANNEL) return;
      this.generation++;
      if (!message.payload || message.payload === '*') this.forgetAll();
      else this.drop(message.payload);
    });
    const lost = () => {
      if (this.listener !== client) return;
      this.listener = null;
      this.forget();
      if (!this.stopped)
        this.reconnectTimer = setTimeout(() => void this.listen().catch(() => undefined), RECONNECT_MS).unref();
    };
    client.on('error', lost);
    client.on('end', lost);
    this.listener = client;
    try {
      await client.connect();
      await client.query(`LISTEN ${ACCOUNT_CHANGES_CHANNEL}`);
    } catch (error) {
      lost();
      throw error;
    }
    // A read still in flight from before LISTEN took effect may have missed a change: its generation is now old.
    if (this.listener === client && !this.stopped) {
      this.generation++;
      this.listening = true;
    }
  }

  private forget() {
    this.listening = false;
    this.generation++;
    this.forgetAll();
  }

  private forgetAll() {
    this.accounts.clear();
    this.kept = 0;
  }
}
