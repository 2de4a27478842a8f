import { DataSource, EntityManager } from 'typeorm';
import { Actor } from '../common/actor';
import { BusinessRuleError, ForbiddenError, UnauthenticatedError } from '../common/errors';
import { hashPassword, UNUSABLE_HASH, verifyPassword } from './passwords';
import { TokenService } from './tokens';
import { AccountDirectory } from './account-directory';
import { AccountRole, UserAccount } from './user-account.entity';
import { processMetrics } from '../common/http/metrics';

export interface Credentials {
  email: string;
  password: string;
}

export interface SignedIn {
  token: string;
  expiresAt: Date;
  account: UserAccount;
}

const normalEmail = (email: string) => email.trim().toLowerCase();

/** Accounts, sign-in and the actor behind a token. */
export class AuthService {
  /** Role and binding per account, kept while the database reports every change to them. */
  readonly accounts: AccountDirectory;

  constructor(
    private readonly dataSource: DataSource,
    private readonly tokens: TokenService,
  ) {
    this.accounts = new AccountDirectory(dataSource);
  }

  /** Creates an account in the caller's transaction; the binding must suit the role. */
  async createAccount(
    manager: EntityManager,
    credentials: Credentials,
    role: AccountRole,
    binding: { enterpriseId?: string; institutionId?: string } = {},
  ): Promise<UserAccount> {
    const inserted = await manager
      .getRepository(UserAccount)
      .createQueryBuilder()
      .insert()
      .values({
        email: normalEmail(credentials.email),
        passwordHash: await hashPassword(credentials.password),
        role,
        enterpriseId: binding.enterpriseId ?? null,
        institutionId: binding.institutionId ?? null,
      })
      .orIgnore()
      .returning('id')
      .execute();
    if (inserted.raw.length === 0) throw new BusinessRuleError('EMAIL_TAKEN', 'An account with this email already exists', ['input', 'account', 'email']);
    return manager.getRepository(UserAccount).findOneByOrFail({ id: String(inserted.raw[0].id) });
  }

  /** Wrong password and unknown email answer alike, and take as long. */
  async login(credentials: Credentials): Promise<SignedIn> {
    const account = await this.dataSource.getRepository(UserAccount).findOneBy({ email: normalEmail(credentials.email) });
    const matches = await verifyPassword(credentials.password, account?.passwordHash ?? UNUSABLE_HASH);
    if (!account || !matches) {
      processMetrics.loginFailures.inc();
      throw new BusinessRuleError('INVALID_CREDENTIALS', 'The email or password is not correct');
    }
    return { ...(await this.tokens.issue(account.id)), account };
  }

  /** A fresh token for the signed-in account (before the current one expires). */
  async renew(actor: Actor): Promise<SignedIn> {
    const accountId = 'accountId' in actor ? actor.accountId : undefined;
    if (!accountId) throw new UnauthenticatedError('Sign in first: renewing needs a valid token');
    const account = await this.dataSource.getRepository(UserAccount).findOneByOrFail({ id: accountId });
    return { ...(await this.tokens.issue(account.id)), account };
  }

  /** Institution admins create their institution's staff (and further admins). */
  async createStaffAccount(actor: Actor, credentials: Credentials, admin: boolean): Promise<UserAccount> {
    if (actor.kind !== 'INSTITUTION' || !actor.admin) throw new ForbiddenError('Only an institution admin creates staff accounts');
    return this.dataSource.transaction((manager) =>
      this.createAccount(manager, credentials, admin ? AccountRole.INSTITUTION_ADMIN : AccountRole.INSTITUTION_STAFF, { institutionId: actor.institutionId }),
    );
  }

  /** The first operator comes from the CLI (`npm run create:operator`); later ones from an operator. */
  async createOperatorOrAnalyst(actor: Actor, credentials: Credentials, role: AccountRole.OPERATOR | AccountRole.ANALYST): Promise<UserAccount> {
    if (actor.kind !== 'OPERATOR' && actor.kind !== 'SYSTEM') throw new ForbiddenError('Only operators create operator and analyst accounts');
    return this.dataSource.transaction((manager) => this.createAccount(manager, credentials, role));
  }

  /** The actor a bearer token stands for; null when the token is invalid, expired or its account gone. */
  async actorForToken(token: string): Promise<Actor | null> {
    const claims = await this.tokens.verify(token);
    if (!claims) return null;
    const account = await this.accounts.binding(claims.accountId);
    return account ? actorOf(account) : null;
  }

  findAccount(id: string): Promise<UserAccount | null> {
    return this.dataSource.getRepository(UserAccount).findOneBy({ id });
  }
}

export function actorOf(account: Pick<UserAccount, 'id' | 'role' | 'enterpriseId' | 'institutionId'>): Actor {
  switch (account.role) {
    case AccountRole.ENTERPRISE:
      return { kind: 'ENTERPRISE', enterpriseId: account.enterpriseId!, accountId: account.id };
    case AccountRole.INSTITUTION_STAFF:
    case AccountRole.INSTITUTION_ADMIN:
      return { kind: 'INSTITUTION', institutionId: account.institutionId!, admin: account.role === AccountRole.INSTITUTION_ADMIN, accountId: account.id };
    case AccountRole.ANALYST:
      return { kind: 'ANALYST', accountId: account.id };
    case AccountRole.OPERATOR:
      return { kind: 'OPERATOR', accountId: account.id };
  }
}
