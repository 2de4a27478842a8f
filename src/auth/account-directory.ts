import { Client, ClientConfig, Pool } from 'pg';
import type { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
import { preparedQuery } from '../common/database/prepared';
import { briefly, processLogger } from '../common/http/logging';
import type { UserAccount } from './user-account.entity';

export type AccountBinding = Pick<UserAccount, 'id' | 'role' | 'enterpriseId' | 'institutionId'>;

/** The channel the user_account trigger notifies with the changed account's ID ('*' after TRUNCATE). */
export const ACCOUNT_CHANGES_CHANNEL = 'user_account_changed';
const ACCOUNTS_KEPT = 10_000;
const RECONNECT_MS = 1000;
/**
 * A backstop, not the mechanism: a kept account is read again after this long even without a
 * notification (a silently dead connection, changes made with triggers off).
 */
const KEPT_MS = 60_000;

/**
 * Role and binding of the account behind each request's token. Every authenticated request needs
 * them; reading them each time was the second statement (and round trip) of every read. They are
 * kept per process while a LISTEN connection hears the user_account trigger's notifications: an
 * update or delete drops the account (all of them after a TRUNCATE) as soon as it commits.
 *
 * Nothing is kept while not listening (not started, or the connection lost), so a change is never
 * missed: each request then reads the account as before. A read that overlaps a notification is
 * not kept (it may have seen the row before the change).
 */
export class AccountDirectory {
  /** Only accounts that exist are kept: a new account may take a freed ID, and INSERT notifies nothing. */
  private readonly accounts = new Map<string, { account: AccountBinding; until: number }>();
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

  async binding(accountId: string): Promise<AccountBinding | null> {
    const kept = this.listening ? this.accounts.get(accountId) : undefined;
    if (kept && kept.until > Date.now()) return kept.account;
    const generation = this.generation;
    const [account] = await preparedQuery<AccountBinding>(
      this.dataSource,
      'account-for-token',
      `SELECT id::text AS id, role, enterprise_id::text AS "enterpriseId", institution_id::text AS "institutionId" FROM user_account WHERE id = $1`,
      [accountId],
    );
    if (account && this.listening && generation === this.generation) {
      this.accounts.delete(accountId);
      if (this.accounts.size >= ACCOUNTS_KEPT) this.accounts.delete(this.accounts.keys().next().value!);
      this.accounts.set(accountId, { account, until: Date.now() + KEPT_MS });
    }
    return account ?? null;
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
    // The pool's own connection settings, for one connection outside it.
    const pool = (this.dataSource.driver as PostgresDriver).master as Pool & { options: ClientConfig };
    // TCP keepalive, so a connection that died silently ends (and stops the keeping) instead of hanging.
    const client = new Client({ ...pool.options, keepAlive: true });
    client.on('notification', (message) => {
      if (message.channel !== ACCOUNT_CHANGES_CHANNEL) return;
      this.generation++;
      if (!message.payload || message.payload === '*') this.accounts.clear();
      else this.accounts.delete(message.payload);
    });
    const lost = () => {
      if (this.listener !== client) return;
      this.listener = null;
      this.forget();
      if (!this.stopped) this.reconnectTimer = setTimeout(() => void this.listen().catch(() => undefined), RECONNECT_MS).unref();
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
    this.accounts.clear();
  }
}
