import { Arg, Args, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from 'type-graphql';
import { RequestContext } from '../common/context';
import { ConnectionArgs, pageRequest } from '../common/pagination';
import { toPayload } from '../common/payload';
import { expectGlobalId } from '../common/global-id';
import { money } from '../common/decimal';
import { MoneyScalar } from '../common/scalars';
import { AuditActor, auditActor } from '../auth/audit-actor.types';
import { Enterprise } from '../enterprise/enterprise.entity';
import { FinancingRequest } from '../financing/financing-request.entity';
import { Institution } from '../institution/institution.entity';
import { LoanProduct } from '../product/loan-product.entity';
import { Application, ApplicationStatus } from './application.entity';
import { ApplicationEvent } from './application-event.entity';
import { CreditGrant } from './credit-grant.entity';
import { Disbursement } from './disbursement.entity';
import {
  ApplicationActionInput,
  ApplicationConnection,
  ApproveCreditGrantInput,
  ApplicationEventConnection,
  ApplicationPayload,
  DisbursementConnection,
  GrantCreditInput,
  GrantCreditPayload,
  RecordDisbursementInput,
  RecordDisbursementPayload,
  StartApplicationInput,
  WithdrawFinancingRequestInput,
  WithdrawFinancingRequestPayload,
} from './lending.types';

function startInput(input: StartApplicationInput) {
  return {
    financingRequestId: expectGlobalId(input.financingRequestId, 'FinancingRequest', 'financingRequestId'),
    loanProductId: expectGlobalId(input.loanProductId, 'LoanProduct', 'loanProductId'),
    idempotencyKey: input.idempotencyKey,
  };
}

function actionInput(input: ApplicationActionInput) {
  return { ...input, applicationId: expectGlobalId(input.applicationId, 'Application', 'applicationId') };
}

@Resolver(() => Application)
export class ApplicationResolver {
  @Query(() => ApplicationConnection, {
    description: 'Applications (对接) visible to the actor: an enterprise’s own, an institution’s own.',
  })
  applications(
    @Args(() => ConnectionArgs, { validate: false }) args: ConnectionArgs,
    @Arg('status', () => ApplicationStatus, { nullable: true }) status: ApplicationStatus | null,
    @Ctx() ctx: RequestContext,
  ) {
    return ctx.services.lending.list(ctx.actor, pageRequest(args, 'Application'), status);
  }

  @Mutation(() => ApplicationPayload, {
    description: '申请 — the enterprise applies to a published product with one of its requests.',
  })
  applyToProduct(@Arg('input', () => StartApplicationInput) input: StartApplicationInput, @Ctx() ctx: RequestContext) {
    return toPayload('application', () => ctx.services.lending.applyToProduct(ctx.actor, startInput(input)));
  }

  @Mutation(() => ApplicationPayload, {
    description: '抢单 — the institution claims an open request for one of its products.',
  })
  claimFinancingRequest(
    @Arg('input', () => StartApplicationInput) input: StartApplicationInput,
    @Ctx() ctx: RequestContext,
  ) {
    return toPayload('application', () => ctx.services.lending.claimFinancingRequest(ctx.actor, startInput(input)));
  }

  @Mutation(() => ApplicationPayload, {
    description: '受理 — the owning institution accepts, before the response deadline.',
  })
  acceptApplication(
    @Arg('input', () => ApplicationActionInput) input: ApplicationActionInput,
    @Ctx() ctx: RequestContext,
  ) {
    return toPayload('application', () => ctx.services.lending.acceptApplication(ctx.actor, actionInput(input)));
  }

  @Mutation(() => ApplicationPayload, { description: '拒绝 — the owning institution declines, with a reason.' })
  declineApplication(
    @Arg('input', () => ApplicationActionInput) input: ApplicationActionInput,
    @Ctx() ctx: RequestContext,
  ) {
    return toPayload('application', () => ctx.services.lending.declineApplication(ctx.actor, actionInput(input)));
  }

  @Mutation(() => ApplicationPayload, { description: '撤回 — the owning enterprise withdraws its application.' })
  withdrawApplication(
    @Arg('input', () => ApplicationActionInput) input: ApplicationActionInput,
    @Ctx() ctx: RequestContext,
  ) {
    return toPayload('application', () => ctx.services.lending.withdrawApplication(ctx.actor, actionInput(input)));
  }

  @Mutation(() => GrantCreditPayload, {
    description: '授信 — the owning institution grants credit on an accepted application.',
  })
  grantCredit(@Arg('input', () => GrantCreditInput) input: GrantCreditInput, @Ctx() ctx: RequestContext) {
    const applicationId = expectGlobalId(input.applicationId, 'Application', 'applicationId');
    return toPayload('creditGrant', () => ctx.services.lending.grantCredit(ctx.actor, { ...input, applicationId }));
  }

  @Mutation(() => GrantCreditPayload, {
    description: '复核 — a second staff member of the institution approves a grant above its four-eyes threshold.',
  })
  approveCreditGrant(
    @Arg('input', () => ApproveCreditGrantInput) input: ApproveCreditGrantInput,
    @Ctx() ctx: RequestContext,
  ) {
    const creditGrantId = expectGlobalId(input.creditGrantId, 'CreditGrant', 'creditGrantId');
    return toPayload('creditGrant', () =>
      ctx.services.lending.approveCreditGrant(ctx.actor, { ...input, creditGrantId }),
    );
  }

  @Mutation(() => RecordDisbursementPayload, {
    description: '放款 — the owning institution records one tranche paid out.',
  })
  recordDisbursement(
    @Arg('input', () => RecordDisbursementInput) input: RecordDisbursementInput,
    @Ctx() ctx: RequestContext,
  ) {
    const applicationId = expectGlobalId(input.applicationId, 'Application', 'applicationId');
    return toPayload('disbursement', () =>
      ctx.services.lending.recordDisbursement(ctx.actor, { ...input, applicationId }),
    );
  }

  @Mutation(() => WithdrawFinancingRequestPayload, {
    description: '撤回需求 — the owning enterprise withdraws a request and its open applications.',
  })
  withdrawFinancingRequest(
    @Arg('input', () => WithdrawFinancingRequestInput) input: WithdrawFinancingRequestInput,
    @Ctx() ctx: RequestContext,
  ) {
    const financingRequestId = expectGlobalId(input.financingRequestId, 'FinancingRequest', 'financingRequestId');
    return toPayload('financingRequest', () =>
      ctx.services.lending.withdrawFinancingRequest(ctx.actor, { ...input, financingRequestId }),
    );
  }

  @FieldResolver(() => FinancingRequest, { description: 'The need applied for (融资需求).' })
  financingRequest(@Root() application: Application, @Ctx() ctx: RequestContext) {
    return ctx.loaders.byId(FinancingRequest).load(application.financingRequestId);
  }

  @FieldResolver(() => LoanProduct, { description: 'The product applied to.' })
  loanProduct(@Root() application: Application, @Ctx() ctx: RequestContext) {
    return ctx.loaders.byId(LoanProduct).load(application.loanProductId);
  }

  @FieldResolver(() => Institution, { description: 'The institution offering the product.' })
  institution(@Root() application: Application, @Ctx() ctx: RequestContext) {
    return ctx.loaders.byId(Institution).load(application.institutionId);
  }

  @FieldResolver(() => Enterprise, { description: 'The enterprise that applied.' })
  enterprise(@Root() application: Application, @Ctx() ctx: RequestContext) {
    return ctx.loaders.byId(Enterprise).load(application.enterpriseId);
  }

  @FieldResolver(() => CreditGrant, { nullable: true, description: 'The credit granted (授信), once granted.' })
  creditGrant(@Root() application: Application, @Ctx() ctx: RequestContext) {
    return ctx.loaders.oneByForeignKey(CreditGrant, 'applicationId').load(application.id);
  }

  @FieldResolver(() => ApplicationEventConnection, {
    description: 'The audit trail (审计轨迹): every transition, oldest first.',
  })
  events(
    @Root() application: Application,
    @Args(() => ConnectionArgs, { validate: false }) args: ConnectionArgs,
    @Ctx() ctx: RequestContext,
  ) {
    const visible = ctx.services.lending.eventFilter(ctx.actor);
    return ctx.loaders.childConnection(ApplicationEvent, 'applicationId', application.id, args, visible);
  }
}

@Resolver(() => ApplicationEvent)
export class ApplicationEventResolver {
  @FieldResolver(() => AuditActor, { description: 'Who acted (经办人), as far as the caller may know.' })
  actor(@Root() event: ApplicationEvent, @Ctx() ctx: RequestContext) {
    return auditActor(ctx.actor, event.actor);
  }
}

/** The lifecycle's side of a financing request (lending depends on financing, never the reverse). */
@Resolver(() => FinancingRequest)
export class FinancingRequestApplicationsResolver {
  @FieldResolver(() => ApplicationConnection, {
    description:
      'Applications (对接) on this request: all for its enterprise, an institution’s own for an institution.',
  })
  applications(
    @Root() request: FinancingRequest,
    @Args(() => ConnectionArgs, { validate: false }) args: ConnectionArgs,
    @Ctx() ctx: RequestContext,
  ) {
    const visible = ctx.services.lending.childFilter(ctx.actor);
    return ctx.loaders.childConnection(Application, 'financingRequestId', request.id, args, visible);
  }
}

@Resolver(() => CreditGrant)
export class CreditGrantResolver {
  @FieldResolver(() => Application, { description: 'The application this grant answers.' })
  application(@Root() grant: CreditGrant, @Ctx() ctx: RequestContext) {
    return ctx.loaders.byId(Application).load(grant.applicationId);
  }

  @FieldResolver(() => DisbursementConnection, { description: 'Tranches paid out (放款), oldest first.' })
  disbursements(
    @Root() grant: CreditGrant,
    @Args(() => ConnectionArgs, { validate: false }) args: ConnectionArgs,
    @Ctx() ctx: RequestContext,
  ) {
    return ctx.loaders.childConnection(Disbursement, 'creditGrantId', grant.id, args);
  }

  @FieldResolver(() => MoneyScalar, { description: 'Total paid out so far, yuan.' })
  disbursedAmount(@Root() grant: CreditGrant, @Ctx() ctx: RequestContext) {
    return disbursedTotal(ctx, grant.id);
  }

  @FieldResolver(() => MoneyScalar, { description: 'What remains to be paid out, yuan.' })
  async remainingAmount(@Root() grant: CreditGrant, @Ctx() ctx: RequestContext) {
    return money.format(money.units(grant.amount) - money.units(await disbursedTotal(ctx, grant.id)));
  }
}

function disbursedTotal(ctx: RequestContext, grantId: string): Promise<string> {
  return ctx.loaders
    .keyed<string, string>('disbursedTotalByGrant', async (grantIds) => {
      const rows: Array<{ credit_grant_id: string; total: string }> = await ctx.dataSource.query(
        `SELECT credit_grant_id::text, sum(amount)::text AS total FROM disbursement
          WHERE credit_grant_id = ANY($1::bigint[]) GROUP BY credit_grant_id`,
        [[...grantIds]],
      );
      const totals = new Map(rows.map((row) => [row.credit_grant_id, row.total]));
      return grantIds.map((id) => totals.get(id) ?? '0');
    })
    .load(grantId);
}

@Resolver(() => Disbursement)
export class DisbursementResolver {
  @FieldResolver(() => CreditGrant, { description: 'The grant this tranche draws on.' })
  creditGrant(@Root() disbursement: Disbursement, @Ctx() ctx: RequestContext) {
    return ctx.loaders.byId(CreditGrant).load(disbursement.creditGrantId);
  }
}
