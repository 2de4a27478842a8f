import { DataSource, EntityManager } from 'typeorm';
import { Actor } from '../common/actor';
import { BusinessRuleError, ForbiddenError, NotFoundError, UnauthenticatedError } from '../common/errors';
import { tooManyRequests } from '../common/abuse-limits';
import { hashPassword, UNUSABLE_HASH, verifyPassword } from './passwords';
import { passwordProblem } from './password-policy';
import { HashingGate } from './hashing-gate';
import { SignInThrottle } from './sign-in-throttle';
import { clientKey } from './client-address';
import { newRefreshToken, refreshTokenHash, TokenService } from './tokens';
import { AccountBinding, AccountDirectory } from './account-directory';
import { AccountRole, UserAccount } from './user-account.entity';
import { processMetrics } from '../common/http/metrics';
import type { RetentionTarget } from '../common/retention';

export interface Credentials {
  email: string;
  password: string;
}

/** An account's email and password hash, checked and hashed before any transaction opens. */
export interface NewAccount {
  email: string;
  passwordHash: string;
}

/**
 * The client of calls made without a request (CLI, demo data, jobs). A request's client address
 * keys sign-in throttling and that client's share of password hashing.
 */
export const LOCAL_CLIENT = 'local';

export interface SignedIn {
  token: string;
  expiresAt: Date;
  /** Only from login and refreshSession: renewToken keeps the session's refresh token. */
  refreshToken: string | null;
  account: UserAccount;
}

/**
 * Sessions that ended (revoked or expired) go, with their refresh tokens, SESSION_RETENTION_DAYS after they
 * ended: a refresh token of an ended session is refused whether its row is there or not.
 */
export const ENDED_SESSION_RETENTION: RetentionTarget = {
  table: 'auth_session',
  key: ['id'],
  since: 'least(expires_at, revoked_at)',
};

/** Why a session ended (auth_session.revoked_reason). */
type SessionEnd = 'LOGOUT' | 'SIGNED_OUT_EVERYWHERE' | 'ACCOUNT_DISABLED' | 'REFRESH_TOKEN_REUSED';

/** A refresh rotates the token of a standing session, or is refused (`ended`: whose session a reuse ended). */
type RefreshOutcome =
  | { refused: true; ended: string | null }
  | { refused: false; row: { sessionId: string; accountId: string; expiresAt: Date } };

/** A session's lifetime from sign-in; refreshing never extends it. */
export const DEFAULT_SESSION_TTL_SECONDS = 7 * 24 * 3600;

export const normalEmail = (email: string) => email.trim().toLowerCase();

/** Accounts, sign-in and the actor behind a token. */
export class AuthService {
  /** Role, binding and standing sessions per account, kept while the database reports every change to them. */
  readonly accounts: AccountDirectory;
  /** Bounds concurrent password hashing (sign-in and account creation). */
  readonly hashing = new HashingGate();
  private readonly throttle: SignInThrottle;

  constructor(
    private readonly dataSource: DataSource,
    private readonly tokens: TokenService,
    private readonly sessionTtlSeconds = DEFAULT_SESSION_TTL_SECONDS,
  ) {
    this.accounts = new AccountDirectory(dataSource);
    this.throttle = new SignInThrottle(dataSource);
  }

  /**
   * Applies the password policy (password-policy.ts) and hashes the password through the hashing
   * bound; done before the caller's transaction, so no connection waits on a hash.
   */
  async newAccount(credentials: Credentials, client = LOCAL_CLIENT, field = ['input', 'account']): Promise<NewAccount> {
    const problem = passwordProblem(credentials.password, credentials.email);
    if (problem) throw new BusinessRuleError('WEAK_PASSWORD', problem, [...field, 'password']);
    const passwordHash = await this.hashing.run(clientKey(client), () => hashPassword(credentials.password));
    return { email: normalEmail(credentials.email), passwordHash };
  }

  /**
   * Creates an account in the caller's transaction; the binding must suit the role. A taken email is refused.
   * The direct path of operators and seeding (onboarding, demo data, the CLI): institution admins invite
   * instead (staff-invitation.service.ts), because EMAIL_TAKEN would tell them about other parties' accounts.
   */
  async createAccount(
    manager: EntityManager,
    account: NewAccount,
    role: AccountRole,
    binding: { enterpriseId?: string; institutionId?: string } = {},
    field = ['input', 'account'],
  ): Promise<UserAccount> {
    const id = await this.insertAccount(manager, account, role, binding);
    if (!id)
      throw new BusinessRuleError('EMAIL_TAKEN', 'An account with this email already exists', [...field, 'email']);
    return manager.getRepository(UserAccount).findOneByOrFail({ id });
  }

  /**
   * Creates the account unless the email already has one; the new account's ID, or null. Self-registration
   * ignores the answer, so registering tells no one which emails have accounts (the owner signs in with the
   * account they have); accepting an invitation tells the invitee, who owns the mailbox.
   */
  async createAccountQuietly(
    manager: EntityManager,
    account: NewAccount,
    role: AccountRole,
    binding: { enterpriseId?: string; institutionId?: string } = {},
  ): Promise<string | null> {
    return this.insertAccount(manager, account, role, binding);
  }

  private async insertAccount(
    manager: EntityManager,
    account: NewAccount,
    role: AccountRole,
    binding: { enterpriseId?: string; institutionId?: string },
  ): Promise<string | null> {
    const inserted = await manager
      .getRepository(UserAccount)
      .createQueryBuilder()
      .insert()
      .values({
        ...account,
        role,
        enterpriseId: binding.enterpriseId ?? null,
        institutionId: binding.institutionId ?? null,
      })
      .orIgnore()
      .returning('id')
      .execute();
    return inserted.raw.length === 0 ? null : String(inserted.raw[0].id);
  }

  /**
   * Wrong password and unknown email answer alike, and take as long. A disabled account is told so
   * only after the right password. Failures are throttled per (email, client) (sign-in-throttle.ts):
   * a throttled attempt is refused before any hashing, as RATE_LIMITED with Retry-After.
   */
  async login(credentials: Credentials, address = LOCAL_CLIENT): Promise<SignedIn> {
    const email = normalEmail(credentials.email);
    const client = clientKey(address);
    const wait = await this.throttle.wait(email, client);
    if (wait > 0) throw tooManyRequests(wait);
    const account = await this.dataSource.getRepository(UserAccount).findOneBy({ email });
    const matches = await this.hashing.run(client, () =>
      verifyPassword(credentials.password, account?.passwordHash ?? UNUSABLE_HASH),
    );
    if (!account || !matches) {
      processMetrics.loginFailures.inc();
      await this.throttle.failed(email, client);
      throw new BusinessRuleError('INVALID_CREDENTIALS', 'The email or password is not correct');
    }
    await this.throttle.succeeded(email, client);
    if (account.disabledAt)
      throw new BusinessRuleError(
        'ACCOUNT_DISABLED',
        'This account is disabled; ask your administrator or the platform operator',
      );
    return this.startSession(account);
  }

  /** A new session with its first refresh token, in one statement (ended ones go by ENDED_SESSION_RETENTION). */
  private async startSession(account: UserAccount): Promise<SignedIn> {
    const refresh = newRefreshToken();
    const [session]: Array<{ id: string; expiresAt: Date }> = await this.dataSource.query(
      `WITH session AS (
         INSERT INTO auth_session (account_id, expires_at) VALUES ($1, now() + make_interval(secs => $2))
         RETURNING id, expires_at
       ), token AS (INSERT INTO refresh_token (token_hash, session_id) SELECT $3, id FROM session)
       SELECT id::text AS id, expires_at AS "expiresAt" FROM session`,
      [account.id, this.sessionTtlSeconds, refresh.hash],
    );
    return {
      ...(await this.tokens.issue(account.id, session.id, session.expiresAt)),
      refreshToken: refresh.token,
      account,
    };
  }

  /**
   * Trades a refresh token for a new access token and a new refresh token (rotation). A refresh
   * token is good once: presenting one already used means it was copied, so the whole session ends
   * (reuse detection) and both holders must sign in again. Never extends the session.
   */
  async refreshSession(refreshToken: string): Promise<SignedIn> {
    const hash = refreshTokenHash(refreshToken);
    const next = newRefreshToken();
    const outcome = await this.dataSource.transaction(async (manager): Promise<RefreshOutcome> => {
      const [row]: Array<{ sessionId: string; accountId: string; used: boolean; standing: boolean; expiresAt: Date }> =
        await manager.query(
          `SELECT t.session_id::text AS "sessionId", s.account_id::text AS "accountId",
             t.used_at IS NOT NULL AS used, s.expires_at AS "expiresAt",
           s.revoked_at IS NULL AND s.expires_at > now() AND a.disabled_at IS NULL AS standing
         FROM refresh_token t JOIN auth_session s ON s.id = t.session_id JOIN user_account a ON a.id = s.account_id
         WHERE t.token_hash = $1 FOR UPDATE OF t, s`,
          [hash],
        );
      if (!row || !row.standing) return { refused: true, ended: null };
      if (row.used) {
        await this.endSessions(manager, 'id = $1', [row.sessionId], 'REFRESH_TOKEN_REUSED');
        return { refused: true, ended: row.accountId };
      }
      await manager.query(`UPDATE refresh_token SET used_at = now() WHERE token_hash = $1`, [hash]);
      await manager.query(`INSERT INTO refresh_token (token_hash, session_id) VALUES ($1, $2)`, [
        next.hash,
        row.sessionId,
      ]);
      return { refused: false, row };
    });
    // Outside the transaction, so that ending a session on reuse commits before the refusal.
    if (outcome.refused) {
      if (outcome.ended) this.accounts.forgetAccount(outcome.ended);
      throw new BusinessRuleError(
        'INVALID_REFRESH_TOKEN',
        'The refresh token is not valid (used, expired or its session ended); sign in again',
        ['input', 'refreshToken'],
      );
    }
    const refreshed = outcome.row;
    const account = await this.dataSource.getRepository(UserAccount).findOneByOrFail({ id: refreshed.accountId });
    return {
      ...(await this.tokens.issue(account.id, refreshed.sessionId, refreshed.expiresAt)),
      refreshToken: next.token,
      account,
    };
  }

  /** A fresh access token for the signed-in session; never past the session's end, never for an ended one. */
  async renew(actor: Actor): Promise<SignedIn> {
    const { accountId, sessionId } = signedInSession(actor, 'renewing');
    const [session]: Array<{ expiresAt: Date }> = await this.dataSource.query(
      `SELECT s.expires_at AS "expiresAt" FROM auth_session s JOIN user_account a ON a.id = s.account_id
       WHERE s.id = $1 AND s.account_id = $2 AND s.revoked_at IS NULL AND s.expires_at > now()
         AND a.disabled_at IS NULL`,
      [sessionId, accountId],
    );
    if (!session) throw new UnauthenticatedError('The session has ended; sign in again');
    const account = await this.dataSource.getRepository(UserAccount).findOneByOrFail({ id: accountId });
    return { ...(await this.tokens.issue(account.id, sessionId, session.expiresAt)), refreshToken: null, account };
  }

  /** Ends the caller's session: its access and refresh tokens stop working on the next request. */
  async logout(actor: Actor): Promise<number> {
    const { accountId, sessionId } = signedInSession(actor, 'signing out');
    const ended = await this.endSessions(this.dataSource.manager, 'id = $1', [sessionId], 'LOGOUT');
    this.accounts.forgetAccount(accountId);
    return ended;
  }

  /** Ends every session of the caller's account, on every device. */
  async signOutEverywhere(actor: Actor): Promise<number> {
    const { accountId } = signedInSession(actor, 'signing out');
    const ended = await this.endSessions(
      this.dataSource.manager,
      'account_id = $1',
      [accountId],
      'SIGNED_OUT_EVERYWHERE',
    );
    this.accounts.forgetAccount(accountId);
    return ended;
  }

  /**
   * Operators disable any account but their own; an institution admin only accounts of its own
   * institution. Every session of the account ends; it cannot sign in until enabled again.
   */
  async disableAccount(actor: Actor, accountId: string): Promise<UserAccount> {
    const disabled = await this.dataSource.transaction(async (manager) => {
      await this.manageableAccount(manager, actor, accountId);
      await manager.query(`UPDATE user_account SET disabled_at = now() WHERE id = $1 AND disabled_at IS NULL`, [
        accountId,
      ]);
      await this.endSessions(manager, 'account_id = $1', [accountId], 'ACCOUNT_DISABLED');
      return manager.getRepository(UserAccount).findOneByOrFail({ id: accountId });
    });
    this.accounts.forgetAccount(accountId);
    return disabled;
  }

  /** Lets a disabled account sign in again; its old sessions stay ended. */
  async enableAccount(actor: Actor, accountId: string): Promise<UserAccount> {
    return this.dataSource.transaction(async (manager) => {
      await this.manageableAccount(manager, actor, accountId);
      await manager.query(`UPDATE user_account SET disabled_at = NULL WHERE id = $1 AND disabled_at IS NOT NULL`, [
        accountId,
      ]);
      return manager.getRepository(UserAccount).findOneByOrFail({ id: accountId });
    });
  }

  /** The account, locked, if the actor may disable it; one it may not see answers like a missing one. */
  private async manageableAccount(manager: EntityManager, actor: Actor, accountId: string): Promise<UserAccount> {
    const institutionAdmin = actor.kind === 'INSTITUTION' && actor.admin;
    if (actor.kind !== 'OPERATOR' && actor.kind !== 'SYSTEM' && !institutionAdmin) {
      throw new ForbiddenError('Only an operator or an institution admin disables and enables accounts');
    }
    const account = await manager
      .getRepository(UserAccount)
      .findOne({ where: { id: accountId }, lock: { mode: 'pessimistic_write' } });
    if (!account || (actor.kind === 'INSTITUTION' && account.institutionId !== actor.institutionId))
      throw new NotFoundError('UserAccount');
    if ('accountId' in actor && actor.accountId === account.id) {
      throw new BusinessRuleError('OWN_ACCOUNT', 'An account cannot disable or enable itself', ['input', 'accountId']);
    }
    return account;
  }

  private async endSessions(
    manager: EntityManager,
    where: string,
    params: unknown[],
    reason: SessionEnd,
  ): Promise<number> {
    const [, ended] = await manager.query(
      `UPDATE auth_session SET revoked_at = now(), revoked_reason = $${params.length + 1}
       WHERE ${where} AND revoked_at IS NULL`,
      [...params, reason],
    );
    return ended;
  }

  /** The first operator comes from the CLI (`npm run create:operator`); later ones from an operator. */
  async createOperatorOrAnalyst(
    actor: Actor,
    credentials: Credentials,
    role: AccountRole.OPERATOR | AccountRole.ANALYST,
    client = LOCAL_CLIENT,
  ): Promise<UserAccount> {
    if (actor.kind !== 'OPERATOR' && actor.kind !== 'SYSTEM')
      throw new ForbiddenError('Only operators create operator and analyst accounts');
    const account = await this.newAccount(credentials, client, ['input']);
    return this.dataSource.transaction((manager) => this.createAccount(manager, account, role, {}, ['input']));
  }

  /** The actor a bearer token stands for; null when the token is invalid or expired, its session or account ended. */
  async actorForToken(token: string): Promise<Actor | null> {
    const claims = await this.tokens.verify(token);
    if (!claims) return null;
    const account = await this.accounts.session(claims.accountId, claims.sessionId);
    return account ? actorOf(account, claims.sessionId) : null;
  }

  findAccount(id: string): Promise<UserAccount | null> {
    return this.dataSource.getRepository(UserAccount).findOneBy({ id });
  }
}

function signedInSession(actor: Actor, doing: string): { accountId: string; sessionId: string } {
  const accountId = 'accountId' in actor ? actor.accountId : undefined;
  const sessionId = 'sessionId' in actor ? actor.sessionId : undefined;
  if (!accountId || !sessionId) throw new UnauthenticatedError(`Sign in first: ${doing} needs a valid access token`);
  return { accountId, sessionId };
}

export function actorOf(account: AccountBinding, sessionId?: string): Actor {
  const signedIn = { accountId: account.id, sessionId };
  switch (account.role) {
    case AccountRole.ENTERPRISE:
      return {
        kind: 'ENTERPRISE',
        enterpriseId: account.enterpriseId!,
        verified: account.enterpriseVerified,
        ...signedIn,
      };
    case AccountRole.INSTITUTION_STAFF:
    case AccountRole.INSTITUTION_ADMIN:
      return {
        kind: 'INSTITUTION',
        institutionId: account.institutionId!,
        admin: account.role === AccountRole.INSTITUTION_ADMIN,
        ...signedIn,
      };
    case AccountRole.ANALYST:
      return { kind: 'ANALYST', ...signedIn };
    case AccountRole.OPERATOR:
      return { kind: 'OPERATOR', ...signedIn };
  }
}
