import { Check, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { Field, ObjectType, registerEnumType } from 'type-graphql';
import { Node } from '../common/node';
import { Institution } from '../institution/institution.entity';
import { AccountRole, UserAccount } from './user-account.entity';

/** What is stored; EXPIRED is read from `expiresAt`, so no sweep has to write it. */
export enum StaffInvitationState {
  PENDING = 'PENDING',
  ACCEPTED = 'ACCEPTED',
  REVOKED = 'REVOKED',
}

export enum StaffInvitationStatus {
  PENDING = 'PENDING',
  ACCEPTED = 'ACCEPTED',
  REVOKED = 'REVOKED',
  EXPIRED = 'EXPIRED',
}
registerEnumType(StaffInvitationStatus, {
  name: 'StaffInvitationStatus',
  description: 'Where a staff invitation stands.',
  valuesConfig: {
    PENDING: {
      description:
        'Not answered yet: the invitee has not accepted, or cannot (the answer does not say which, on purpose).',
    },
    ACCEPTED: { description: 'The invitee set a password: the account exists (`account`).' },
    REVOKED: { description: 'An admin of the institution withdrew it before it was accepted.' },
    EXPIRED: { description: 'Not accepted before `expiresAt`; invite again if still wanted.' },
  },
});

/**
 * 员工邀请: an institution admin's invitation of an email to become its staff. The one-time token
 * goes to the mailbox through the mail outbox and is stored here only as its SHA-256, so neither the
 * admin nor a reader of this table can accept in the invitee's place.
 */
@ObjectType({
  simpleResolvers: true,
  implements: Node,
  description:
    '员工邀请 — an invitation to join an institution as staff, answered by the invitee from their mailbox ' +
    '(`acceptStaffInvitation`). Seen by the institution’s admins and operators.',
})
@Entity('staff_invitation')
@Check('ck_staff_invitation_role', `role IN ('INSTITUTION_STAFF', 'INSTITUTION_ADMIN')`)
@Check(
  'ck_staff_invitation_state',
  `(state = 'ACCEPTED') = (accepted_at IS NOT NULL AND account_id IS NOT NULL) AND ` +
    `(state = 'REVOKED') = (revoked_at IS NOT NULL AND revoked_by IS NOT NULL)`,
)
export class StaffInvitation extends Node {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  @Index()
  @Column({ type: 'bigint' })
  institutionId: string;

  @ManyToOne(() => Institution, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'institution_id' })
  institution?: Institution;

  @Field(() => String, { description: 'The email invited, lower-case.' })
  @Column({ type: 'varchar', length: 254 })
  email: string;

  @Field(() => AccountRole, { description: 'INSTITUTION_STAFF or INSTITUTION_ADMIN: the role the account gets.' })
  @Column({ type: 'enum', enum: AccountRole, enumName: 'account_role' })
  role: AccountRole;

  /** SHA-256 of the one-time token mailed to the invitee; the token itself is kept nowhere. */
  @Index({ unique: true })
  @Column({ type: 'bytea' })
  tokenHash: Buffer;

  @Column({ type: 'enum', enum: StaffInvitationState, enumName: 'staff_invitation_state' })
  state: StaffInvitationState;

  /** Who invited, as `actorKey` writes it; exposed as `invitedBy` (an AuditActor). */
  @Column({ type: 'varchar', length: 60 })
  invitedBy: string;

  @Field(() => Date, { description: 'When the invitation was made.' })
  @CreateDateColumn({ type: 'timestamptz' })
  createdAt: Date;

  @Field(() => Date, { description: 'After this the token is refused.' })
  @Column({ type: 'timestamptz' })
  expiresAt: Date;

  @Field(() => Date, { nullable: true, description: 'When the invitee accepted; null until then.' })
  @Column({ type: 'timestamptz', nullable: true })
  acceptedAt: Date | null;

  /** The account the invitee created by accepting (who accepted). */
  @Column({ type: 'bigint', nullable: true })
  accountId: string | null;

  @ManyToOne(() => UserAccount, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'account_id' })
  account?: UserAccount;

  @Field(() => Date, { nullable: true, description: 'When an admin revoked it; null unless revoked.' })
  @Column({ type: 'timestamptz', nullable: true })
  revokedAt: Date | null;

  /** Who revoked, as `actorKey` writes it; exposed as `revokedBy`. */
  @Column({ type: 'varchar', length: 60, nullable: true })
  revokedBy: string | null;
}

/** The status a reader sees: a pending invitation past its expiry is EXPIRED. */
export function invitationStatus(invitation: StaffInvitation, now = new Date()): StaffInvitationStatus {
  if (invitation.state !== StaffInvitationState.PENDING) return StaffInvitationStatus[invitation.state];
  return invitation.expiresAt <= now ? StaffInvitationStatus.EXPIRED : StaffInvitationStatus.PENDING;
}
