import { Arg, Args, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from 'type-graphql';
import { RequestContext } from '../common/context';
import { expectGlobalId } from '../common/global-id';
import { ConnectionArgs, pageRequest } from '../common/pagination';
import { toPayload } from '../common/payload';
import { Institution } from '../institution/institution.entity';
import { AuditActor, auditActor, mayKnowAccountOf } from './audit-actor.types';
import {
  AcceptStaffInvitationInput,
  CreateAccountPayload,
  InviteStaffMemberInput,
  StaffInvitationConnection,
  StaffInvitationIdInput,
  StaffInvitationPayload,
} from './auth.types';
import { invitationStatus, StaffInvitation, StaffInvitationStatus } from './staff-invitation.entity';
import { UserAccount } from './user-account.entity';

@Resolver(() => StaffInvitation)
export class StaffInvitationResolver {
  @Mutation(() => StaffInvitationPayload, {
    description:
      'An institution admin invites an email to join the institution as staff: the invitee gets a one-time ' +
      'token by email and sets their own password (`acceptStaffInvitation`). The answer is alike for every ' +
      'email, except EMAIL_TAKEN for an account of the admin’s own institution.',
  })
  inviteStaffMember(
    @Arg('input', () => InviteStaffMemberInput) input: InviteStaffMemberInput,
    @Ctx() ctx: RequestContext,
  ) {
    return toPayload('invitation', () => ctx.services.invitations.invite(ctx.actor, input));
  }

  @Mutation(() => StaffInvitationPayload, {
    description: 'An institution admin (or an operator) withdraws an invitation not yet accepted.',
  })
  revokeStaffInvitation(
    @Arg('input', () => StaffInvitationIdInput) input: StaffInvitationIdInput,
    @Ctx() ctx: RequestContext,
  ) {
    const invitationId = expectGlobalId(input.invitationId, 'StaffInvitation', 'invitationId');
    return toPayload('invitation', () => ctx.services.invitations.revoke(ctx.actor, invitationId));
  }

  @Mutation(() => CreateAccountPayload, {
    description:
      'The invitee, with the token from the invitation email, creates their staff account with their own ' +
      'password (no sign-in needed). Good once; refused when used, revoked or expired (INVALID_INVITATION), ' +
      'and when the email already has an account (EMAIL_TAKEN; the invitation then stays pending).',
  })
  acceptStaffInvitation(
    @Arg('input', () => AcceptStaffInvitationInput) input: AcceptStaffInvitationInput,
    @Ctx() ctx: RequestContext,
  ) {
    return toPayload('account', () => ctx.services.invitations.accept(input, ctx.clientAddress));
  }

  @Query(() => StaffInvitationConnection, {
    description: 'Staff invitations: an institution admin’s institution’s, all to operators.',
  })
  staffInvitations(@Args(() => ConnectionArgs, { validate: false }) args: ConnectionArgs, @Ctx() ctx: RequestContext) {
    return ctx.services.invitations.list(ctx.actor, pageRequest(args, 'StaffInvitation'));
  }

  @FieldResolver(() => StaffInvitationStatus, { description: 'Where the invitation stands.' })
  status(@Root() invitation: StaffInvitation) {
    return invitationStatus(invitation);
  }

  @FieldResolver(() => Institution, { description: 'The institution the invitee would join.' })
  institution(@Root() invitation: StaffInvitation, @Ctx() ctx: RequestContext) {
    return ctx.loaders.byId(Institution).load(invitation.institutionId);
  }

  @FieldResolver(() => AuditActor, { description: 'Who invited.' })
  invitedBy(@Root() invitation: StaffInvitation, @Ctx() ctx: RequestContext) {
    return auditActor(ctx.actor, invitation.invitedBy);
  }

  @FieldResolver(() => AuditActor, { nullable: true, description: 'Who revoked it; null unless revoked.' })
  revokedBy(@Root() invitation: StaffInvitation, @Ctx() ctx: RequestContext) {
    return invitation.revokedBy ? auditActor(ctx.actor, invitation.revokedBy) : null;
  }

  @FieldResolver(() => UserAccount, {
    nullable: true,
    description: 'The account the invitee created by accepting (who accepted); null until accepted.',
  })
  async account(@Root() invitation: StaffInvitation, @Ctx() ctx: RequestContext) {
    if (!invitation.accountId) return null;
    const account = await ctx.loaders.byId(UserAccount).load(invitation.accountId);
    return account && mayKnowAccountOf(ctx.actor, account) ? account : null;
  }
}
