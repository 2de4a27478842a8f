import { DataSource } from 'typeorm';
import type { RetentionTarget } from '../common/retention';

/** Failures an (email, address) pair has before each further one makes it wait. */
const PAIR_FREE_FAILURES = 5;
/** While an email is under attack (many failures from anywhere), each address gets one free failure. */
const UNDER_ATTACK_FREE_FAILURES = 1;
const UNDER_ATTACK_FAILURES = 20;
const ACCOUNT_WINDOW = '15 minutes';
const MAX_WAIT_SECONDS = 900;
/** A pair quiet for this long starts again from zero. */
const PAIR_FORGOTTEN_AFTER = '1 day';

/**
 * Rows quiet for SIGN_IN_THROTTLE_RETENTION_DAYS go (failed sign-ins are what add rows); its minimum of a
 * day is PAIR_FORGOTTEN_AFTER, past which a row counts for nothing.
 */
export const SIGN_IN_THROTTLE_RETENTION: RetentionTarget = {
  table: 'sign_in_throttle',
  key: ['key'],
  since: 'updated_at',
};

/**
 * Throttling of failed sign-ins, by the email as typed (whether or not an account has it, so the
 * throttle tells nothing about which emails exist) and the client's address:
 * - per (email, address): after 5 failures in a row, each further failure makes that pair wait
 *   1 s, 2 s, 4 s … up to 15 minutes before its next attempt; a success clears the pair;
 * - per email, from every address: 20 failures within 15 minutes mark the email as under attack,
 *   and then every pair gets only one free failure before it must wait.
 * Nothing ever blocks the email as a whole: its owner, signing in from an address without failures,
 * is always let through to the password check, so an attacker cannot lock a known user out; one
 * spreading guesses over many addresses is slowed to one guess per address and back-off step.
 * Rows live in PostgreSQL so every server process counts the same failures.
 */
export class SignInThrottle {
  constructor(private readonly dataSource: DataSource) {}

  /** Seconds the pair must still wait before it may try; 0 when it may try now. */
  async wait(email: string, address: string): Promise<number> {
    const [row]: Array<{ wait: number }> = await this.dataSource.query(
      `SELECT ceil(extract(epoch FROM blocked_until - now()))::int AS wait FROM sign_in_throttle
       WHERE key = $1 AND blocked_until > now()`,
      [pairKey(email, address)],
    );
    return row?.wait ?? 0;
  }

  async failed(email: string, address: string): Promise<void> {
    await this.dataSource.query(
      `WITH account AS (
         INSERT INTO sign_in_throttle AS t (key, failures, window_started_at, updated_at) VALUES ($2, 1, now(), now())
         ON CONFLICT (key) DO UPDATE SET
           failures = CASE WHEN t.window_started_at < now() - $3::interval THEN 1 ELSE t.failures + 1 END,
           window_started_at = CASE WHEN t.window_started_at < now() - $3::interval THEN now()
             ELSE t.window_started_at END,
           updated_at = now()
         RETURNING failures
       ), free AS (
         SELECT CASE WHEN failures >= $4::int THEN $5::int ELSE $6::int END AS failures FROM account
       )
       INSERT INTO sign_in_throttle AS t (key, failures, window_started_at, blocked_until, updated_at)
       SELECT $1, 1, now(), CASE WHEN 1 >= free.failures THEN now() + interval '1 second' END, now() FROM free
       ON CONFLICT (key) DO UPDATE SET
         failures = CASE WHEN t.updated_at < now() - $7::interval THEN 1 ELSE t.failures + 1 END,
         blocked_until = CASE
           WHEN t.updated_at >= now() - $7::interval AND t.failures + 1 >= (SELECT failures FROM free)
           THEN now() + make_interval(secs => least($8::int, 2 ^ (t.failures + 1 - (SELECT failures FROM free))))
         END,
         updated_at = now()`,
      [
        pairKey(email, address),
        accountKey(email),
        ACCOUNT_WINDOW,
        UNDER_ATTACK_FAILURES,
        UNDER_ATTACK_FREE_FAILURES,
        PAIR_FREE_FAILURES,
        PAIR_FORGOTTEN_AFTER,
        MAX_WAIT_SECONDS,
      ],
    );
  }

  async succeeded(email: string, address: string): Promise<void> {
    await this.dataSource.query(`DELETE FROM sign_in_throttle WHERE key = $1`, [pairKey(email, address)]);
  }
}

const pairKey = (email: string, address: string) => `pair ${email} ${address}`;
const accountKey = (email: string) => `email ${email}`;
