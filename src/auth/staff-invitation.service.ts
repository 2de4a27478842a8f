import { createHash, randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { Actor, actorKey } from '../common/actor';
import { BusinessRuleError, ForbiddenError, NotFoundError } from '../common/errors';
import { ALL_ROWS, entityReader, NO_ROWS, RowFilter } from '../common/database/entity-reader';
import { Connection, PageRequest } from '../common/pagination';
import { Institution } from '../institution/institution.entity';
import { MailOutbox } from '../mail/mail-outbox';
import { AuthService, LOCAL_CLIENT, normalEmail } from './auth.service';
import { StaffInvitation, StaffInvitationState } from './staff-invitation.entity';
import { AccountRole, UserAccount } from './user-account.entity';

/** How long an invitation's token is good for. */
export const STAFF_INVITATION_TTL_SECONDS = 7 * 24 * 3600;

/**
 * Invitations waiting for an answer an institution may have at once. Each one is a message the platform
 * mails on the admin's word: the bound keeps an admin account from being a way to mail any address in bulk.
 */
export const MAX_PENDING_STAFF_INVITATIONS = 50;

const tokenHash = (token: string): Buffer => createHash('sha256').update(token, 'utf8').digest();

const invalidInvitation = () =>
  new BusinessRuleError(
    'INVALID_INVITATION',
    'The invitation is not valid (unknown, used, revoked or expired); ask for a new one',
    ['input', 'token'],
  );

/**
 * 员工邀请 (docs/adr/0103): an institution admin invites an email; the invitee, from the mailbox,
 * sets their own password. The admin's answer is the same for every email outside the admin's own
 * institution, and an email that has an account elsewhere can never accept (its invitation stays
 * pending, as an unanswered one does), so inviting tells the admin nothing about other accounts.
 */
export class StaffInvitationService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly auth: AuthService,
    private readonly mail: MailOutbox,
    private readonly ttlSeconds = STAFF_INVITATION_TTL_SECONDS,
  ) {}

  /** Invitations the actor sees: an institution's admins their institution's, operators all. SQL over `self`. */
  visibility(actor: Actor): RowFilter {
    if (actor.kind === 'OPERATOR' || actor.kind === 'SYSTEM') return ALL_ROWS;
    if (actor.kind === 'INSTITUTION' && actor.admin)
      return { where: 'self.institution_id = :institutionId', params: { institutionId: actor.institutionId } };
    return NO_ROWS;
  }

  /** A page of the invitations the actor sees, oldest first. */
  list(actor: Actor, page: PageRequest): Promise<Connection<StaffInvitation>> {
    assertMayInvite(actor, 'see staff invitations');
    return entityReader(this.dataSource, StaffInvitation).page('self', this.visibility(actor), page);
  }

  /**
   * Records an invitation and mails its one-time token to the address, in one transaction. The
   * answer is the invitation, alike for every email, except EMAIL_TAKEN for an email of an account
   * of the admin's own institution (accounts the admin sees already).
   */
  async invite(actor: Actor, input: { email: string; admin: boolean }): Promise<StaffInvitation> {
    if (actor.kind !== 'INSTITUTION' || !actor.admin)
      throw new ForbiddenError('Only an institution admin invites staff');
    const email = normalEmail(input.email);
    const token = randomBytes(32).toString('base64url');
    const role = input.admin ? AccountRole.INSTITUTION_ADMIN : AccountRole.INSTITUTION_STAFF;
    const { invitation, mailId, message } = await this.dataSource.transaction(async (manager) => {
      const [own] = await manager.query(`SELECT 1 FROM user_account WHERE email = $1 AND institution_id = $2`, [
        email,
        actor.institutionId,
      ]);
      if (own)
        throw new BusinessRuleError('EMAIL_TAKEN', 'An account of this institution has this email', ['input', 'email']);
      // One institution's invitations are counted and written one transaction at a time.
      await manager.query(`SELECT pg_advisory_xact_lock(hashtextextended('staff_invitation:' || $1, 0))`, [
        actor.institutionId,
      ]);
      const [{ pending }]: Array<{ pending: number }> = await manager.query(
        `SELECT count(*)::int AS pending FROM staff_invitation
          WHERE institution_id = $1 AND state = 'PENDING' AND expires_at > now()`,
        [actor.institutionId],
      );
      if (pending >= MAX_PENDING_STAFF_INVITATIONS) {
        throw new BusinessRuleError(
          'TOO_MANY_PENDING_INVITATIONS',
          `The institution has ${MAX_PENDING_STAFF_INVITATIONS} invitations waiting for an answer; revoke some first`,
          ['input', 'email'],
        );
      }
      const repository = manager.getRepository(StaffInvitation);
      const inserted = await repository
        .createQueryBuilder()
        .insert()
        .values({
          institutionId: actor.institutionId,
          email,
          role,
          tokenHash: tokenHash(token),
          state: StaffInvitationState.PENDING,
          invitedBy: actorKey(actor),
          expiresAt: () => `now() + make_interval(secs => ${Number(this.ttlSeconds)})`,
        })
        .returning('id')
        .execute();
      const invitation = await repository.findOneByOrFail({ id: String(inserted.raw[0].id) });
      const institution = await manager.getRepository(Institution).findOneByOrFail({ id: actor.institutionId });
      const message = invitationMail(invitation, institution.name, token);
      return { invitation, message, mailId: await this.mail.queue(manager, message) };
    });
    this.mail.announce(mailId, message);
    return invitation;
  }

  /**
   * An admin withdraws a pending (or expired) invitation of the institution; revoking a revoked one
   * changes nothing. One the actor may not see answers like a missing one, before any lock.
   */
  async revoke(actor: Actor, invitationId: string): Promise<StaffInvitation> {
    assertMayInvite(actor, 'revoke staff invitations');
    const visible = await entityReader(this.dataSource, StaffInvitation).findOne(
      'self',
      this.visibility(actor),
      invitationId,
    );
    if (!visible) throw new NotFoundError('StaffInvitation');
    return this.dataSource.transaction(async (manager) => {
      const repository = manager.getRepository(StaffInvitation);
      const invitation = await repository.findOneOrFail({
        where: { id: invitationId },
        lock: { mode: 'pessimistic_write' },
      });
      if (invitation.state === StaffInvitationState.ACCEPTED) {
        throw new BusinessRuleError(
          'INVALID_TRANSITION',
          'The invitation was accepted; disable the account instead (disableAccount)',
          ['input', 'invitationId'],
        );
      }
      if (invitation.state === StaffInvitationState.REVOKED) return invitation;
      await repository.update(
        { id: invitationId },
        { state: StaffInvitationState.REVOKED, revokedAt: () => 'now()', revokedBy: actorKey(actor) },
      );
      return repository.findOneByOrFail({ id: invitationId });
    });
  }

  /**
   * The invitee (anonymous: the token is the proof of the mailbox) creates the account with their own
   * password: the password policy and the hashing bound as at sign-up. Good once and before its expiry.
   * An email that already has an account cannot accept: EMAIL_TAKEN to the invitee, and the invitation
   * stays pending, as it looks to the admin while unanswered.
   */
  async accept(input: { token: string; password: string }, client = LOCAL_CLIENT): Promise<UserAccount> {
    const hash = tokenHash(input.token);
    const found = await this.dataSource.getRepository(StaffInvitation).findOneBy({ tokenHash: hash });
    if (!found || found.state !== StaffInvitationState.PENDING || found.expiresAt <= new Date())
      throw invalidInvitation();
    const account = await this.auth.newAccount({ email: found.email, password: input.password }, client, ['input']);
    return this.dataSource.transaction(async (manager) => {
      // The state and expiry that count are those under the lock, by the database's clock.
      const [invitation]: Array<{ role: AccountRole; institutionId: string; live: boolean }> = await manager.query(
        `SELECT role, institution_id::text AS "institutionId", state = 'PENDING' AND expires_at > now() AS live
           FROM staff_invitation WHERE id = $1 FOR UPDATE`,
        [found.id],
      );
      if (!invitation?.live) throw invalidInvitation();
      const accountId = await this.auth.createAccountQuietly(manager, account, invitation.role, {
        institutionId: invitation.institutionId,
      });
      if (!accountId) {
        throw new BusinessRuleError('EMAIL_TAKEN', 'This email already has an account; sign in with it', [
          'input',
          'token',
        ]);
      }
      await manager
        .getRepository(StaffInvitation)
        .update(
          { id: found.id },
          { state: StaffInvitationState.ACCEPTED, acceptedAt: () => 'now()', accountId: accountId },
        );
      return manager.getRepository(UserAccount).findOneByOrFail({ id: accountId });
    });
  }
}

function assertMayInvite(actor: Actor, doing: string): void {
  const institutionAdmin = actor.kind === 'INSTITUTION' && actor.admin;
  if (actor.kind !== 'OPERATOR' && actor.kind !== 'SYSTEM' && !institutionAdmin)
    throw new ForbiddenError(`Only an operator or an institution admin may ${doing}`);
}

function invitationMail(invitation: StaffInvitation, institution: string, token: string) {
  const role = invitation.role === AccountRole.INSTITUTION_ADMIN ? 'an admin' : 'staff';
  return {
    to: invitation.email,
    subject: `信易贷: invitation to join ${institution}`,
    body:
      `You are invited to join ${institution} on 信易贷 as ${role}. To accept, choose a password and send\n` +
      `  mutation { acceptStaffInvitation(input: { token: "${token}", password: "…" }) { userErrors { code } } }\n` +
      `The invitation is good once, until ${invitation.expiresAt.toISOString()}. ` +
      'If you did not expect it, ignore this message.',
  };
}
