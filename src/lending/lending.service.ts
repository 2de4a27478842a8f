import { bothFilters, entityReader, RowFilter } from '../common/database/entity-reader';
import { DataSource, EntityManager } from 'typeorm';
import { Actor, actorKey, assertVerifiedEnterprise, systemActor } from '../common/actor';
import { BusinessRuleError, ForbiddenError, NotFoundError } from '../common/errors';
import { money, rate } from '../common/decimal';
import { runIdempotent } from '../common/idempotency';
import { TransactionContext, withTransaction } from '../common/database/transaction';
import { assertBorrowerVerified, borrowerStatus, lockFinancingRequest, lockForApplication } from './lock-order';
import { Connection, PageRequest } from '../common/pagination';
import { ChildFilter } from '../common/loaders';
import { FinancingRequest, FinancingRequestStatus } from '../financing/financing-request.entity';
import { EnterpriseVerificationStatus } from '../enterprise/enterprise.entity';
import { financingRequestVisibility, refreshFinancingRequestStatus } from '../financing/financing-request.service';
import { LoanProduct } from '../product/loan-product.entity';
import { loanProductVisibility } from '../product/loan-product.service';
import { assertVisible } from '../common/database/visibility';
import { Institution } from '../institution/institution.entity';
import { Application, ApplicationOrigin, ApplicationStatus } from './application.entity';
import { ApplicationEvent, ApplicationEventType } from './application-event.entity';
import { CreditGrant, CreditGrantStatus } from './credit-grant.entity';
import { Disbursement } from './disbursement.entity';
import {
  applicationStepFromSql,
  APPLICATION_LIFECYCLE,
  assertTransition,
  eventOfMoveTo,
} from './application.lifecycle';
import { CREDIT_GRANT_LIFECYCLE, creditGrantStepFromSql, grantMay } from './credit-grant.lifecycle';
import { assertMayWithdraw, requestMayMove } from '../financing/financing-request.lifecycle';
import { responseDeadline } from './response-deadline';
import { HolidayScheduleService } from '../calendar/holiday-schedule.service';
import { MatchingService, ProductFit } from '../matching/matching.service';
import { chinaDate, chinaToday, Clock, systemClock } from '../common/clock';
import { CreditService, grantCreditAuthorization } from '../credit/credit.service';
import { emit, emitSql, OutboxEventType } from '../notifications/outbox';

export interface StartApplicationInput {
  financingRequestId: string;
  loanProductId: string;
  idempotencyKey?: string | null;
}
export interface ApplicationActionInput {
  applicationId: string;
  reason?: string | null;
  idempotencyKey?: string | null;
}
export interface GrantCreditInput {
  applicationId: string;
  amount: string;
  annualRate: string;
  termMonths: number;
  idempotencyKey?: string | null;
}
export interface ApproveCreditGrantInput {
  creditGrantId: string;
  idempotencyKey?: string | null;
}
export interface RecordDisbursementInput {
  applicationId: string;
  amount: string;
  disbursedOn?: string | null;
  idempotencyKey?: string | null;
}

/** Failed criteria that come from the enterprise's credit records rather than its profile. */
const RECORD_DERIVED = new Set(['DISHONEST_DEBTOR']);

/**
 * The loan lifecycle (对接 → 受理 → 授信 → 放款). Every change runs in one transaction that locks the
 * rows it reads for its decision, checks the transition table, writes the audit trail, and may be
 * retried under an idempotency key.
 */
export class LendingService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly matching: MatchingService,
    private readonly calendar: HolidayScheduleService,
    private readonly credit: CreditService,
    private readonly clock: Clock = systemClock,
  ) {}

  /** 申请 — the enterprise applies to a product with one of its requests. */
  applyToProduct(actor: Actor, input: StartApplicationInput): Promise<Application> {
    if (actor.kind !== 'ENTERPRISE') throw new ForbiddenError('Only an enterprise applies to a product');
    assertVerifiedEnterprise(actor);
    return this.startApplication(actor, input, ApplicationOrigin.ENTERPRISE_APPLIED, 'applyToProduct');
  }

  /** 抢单 — an institution claims an open request for one of its products. */
  claimFinancingRequest(actor: Actor, input: StartApplicationInput): Promise<Application> {
    if (actor.kind !== 'INSTITUTION') throw new ForbiddenError('Only an institution claims a financing request');
    return this.startApplication(actor, input, ApplicationOrigin.INSTITUTION_CLAIMED, 'claimFinancingRequest');
  }

  private startApplication(
    actor: Actor,
    input: StartApplicationInput,
    origin: ApplicationOrigin,
    operation: string,
  ): Promise<Application> {
    return runIdempotent(this.dataSource, actor, {
      operation,
      key: input.idempotencyKey,
      input,
      answer: Application,
      run: async (context) => {
        const { manager } = context;
        // Visibility first, as node(id:) defines it: a need or product the actor may not see answers
        // as a missing one, before any check that would describe it (NOT_ELIGIBLE's reasons).
        const requests = financingRequestVisibility(actor);
        await assertVisible(manager, 'financing_request', requests, input.financingRequestId, 'FinancingRequest');
        await assertVisible(manager, 'loan_product', loanProductVisibility(actor), input.loanProductId, 'LoanProduct');
        const request = await lockFinancingRequest(manager, input.financingRequestId);
        const product = await manager.getRepository(LoanProduct).findOneBy({ id: input.loanProductId });
        if (!request || (actor.kind === 'ENTERPRISE' && request.enterpriseId !== actor.enterpriseId))
          throw new NotFoundError('FinancingRequest');
        if (!product || (actor.kind === 'INSTITUTION' && product.institutionId !== actor.institutionId))
          throw new NotFoundError('LoanProduct');
        if (request.status === FinancingRequestStatus.WITHDRAWN)
          throw new BusinessRuleError('REQUEST_WITHDRAWN', 'The financing request was withdrawn');
        if (request.status === FinancingRequestStatus.EXPIRED || request.validUntil < chinaToday(this.clock)) {
          throw new BusinessRuleError('REQUEST_EXPIRED', 'The financing request is past its validUntil date');
        }
        await assertBorrowerVerified(manager, request.enterpriseId);
        // Both rows were just read: the fit is there.
        const pair = { requestId: request.id, productId: product.id };
        const [fit] = (await this.matching.productFitsOf(manager, [pair])) as ProductFit[];
        if (!fit.eligible) {
          // Criteria derived from credit records are credit details: named only to who sees those.
          const [details] = await this.credit.recordDetailsVisible(actor, [request.enterpriseId], manager);
          const shown = fit.failedCriteria.filter((failure) => details || !RECORD_DERIVED.has(failure.criterion));
          const reasons = shown.length ? `: ${shown.map((failure) => failure.message).join('; ')}` : '';
          const message = `The request does not fit the product${reasons}`;
          throw new BusinessRuleError('NOT_ELIGIBLE', message, ['input', 'loanProductId']);
        }
        const institution = await manager.getRepository(Institution).findOneByOrFail({ id: product.institutionId });
        const submittedAt = this.clock.now();
        const inserted = await manager
          .getRepository(Application)
          .createQueryBuilder()
          .insert()
          .values({
            financingRequestId: request.id,
            loanProductId: product.id,
            institutionId: product.institutionId,
            enterpriseId: request.enterpriseId,
            status: ApplicationStatus.SUBMITTED,
            origin,
            submittedAt,
            ...responseDeadline(submittedAt, institution.responseDeadlineDays, await this.calendar.calendar(manager)),
          })
          .orIgnore()
          .returning('id')
          .execute();
        if (inserted.raw.length === 0)
          throw new BusinessRuleError('ALREADY_APPLIED', 'This request already has an application to this product');
        const applicationId = String(inserted.raw[0].id);
        // Applying authorises the institution to see the enterprise's credit record details.
        if (origin === ApplicationOrigin.ENTERPRISE_APPLIED)
          await grantCreditAuthorization(manager, request.enterpriseId, product.institutionId);
        const how = origin === ApplicationOrigin.INSTITUTION_CLAIMED ? '抢单 claimed by the institution' : null;
        const submitted = { id: applicationId, financingRequestId: request.id, loanProductId: product.id };
        const keys = { ...submitted, institutionId: product.institutionId, enterpriseId: request.enterpriseId };
        await recordEvent(context, keys, null, ApplicationStatus.SUBMITTED, how, {
          type: how ? ApplicationEventType.CLAIMED : ApplicationEventType.SUBMITTED,
          outbox: how ? 'APPLICATION_CLAIMED' : 'APPLICATION_SUBMITTED',
        });
        await refreshFinancingRequestStatus(manager, [request.id]);
        return manager.getRepository(Application).findOneByOrFail({ id: applicationId });
      },
    });
  }

  /** 受理 — the owning institution accepts before the response deadline. */
  async acceptApplication(actor: Actor, input: ApplicationActionInput): Promise<Application> {
    const institutionId = requireInstitution(actor);
    try {
      return await this.transition(
        actor,
        input,
        'acceptApplication',
        async (manager, application) => {
          if (
            application.status === ApplicationStatus.SUBMITTED &&
            application.responseDeadline.getTime() <= Date.now()
          ) {
            throw new BusinessRuleError(
              'RESPONSE_DEADLINE_PASSED',
              'The response deadline has passed; the application expired',
            );
          }
          assertTransition(application.status, ApplicationStatus.ACCEPTED);
          await assertBorrowerVerified(manager, application.enterpriseId);
          application.acceptedAt = new Date();
          return ApplicationStatus.ACCEPTED;
        },
        institutionId,
      );
    } catch (error) {
      // A late acceptance finds the application expired: record that, then refuse.
      if (error instanceof BusinessRuleError && error.code === 'RESPONSE_DEADLINE_PASSED')
        await this.expireOverdueApplications(new Date());
      throw error;
    }
  }

  /** 拒绝 — the owning institution declines, with a reason. */
  declineApplication(actor: Actor, input: ApplicationActionInput): Promise<Application> {
    const institutionId = requireInstitution(actor);
    if (!input.reason?.trim())
      throw new BusinessRuleError('REASON_REQUIRED', 'A reason is required to decline', ['input', 'reason']);
    return this.transition(
      actor,
      input,
      'declineApplication',
      async (_manager, application) => {
        assertTransition(application.status, ApplicationStatus.DECLINED);
        application.declineReason = input.reason!;
        return ApplicationStatus.DECLINED;
      },
      institutionId,
    );
  }

  /** 撤回 — the owning enterprise withdraws one application. */
  withdrawApplication(actor: Actor, input: ApplicationActionInput): Promise<Application> {
    if (actor.kind !== 'ENTERPRISE') throw new ForbiddenError('Only the enterprise withdraws its application');
    return this.transition(actor, input, 'withdrawApplication', async (_manager, application) => {
      if (application.enterpriseId !== actor.enterpriseId) throw new NotFoundError('Application');
      assertTransition(application.status, ApplicationStatus.WITHDRAWN);
      return ApplicationStatus.WITHDRAWN;
    });
  }

  /**
   * 授信 — credit within the product's limits, and with the other grants on the same request never
   * above what it asked for. The request row is locked first (the lock order), so concurrent
   * grants on one request serialise.
   */
  grantCredit(actor: Actor, input: GrantCreditInput): Promise<CreditGrant> {
    const institutionId = requireInstitution(actor);
    const { idempotencyKey, ...fields } = input;
    return runIdempotent(this.dataSource, actor, {
      operation: 'grantCredit',
      key: idempotencyKey,
      input: fields,
      answer: CreditGrant,
      run: async (context) => {
        const { manager } = context;
        // Never lock (nor wait for) a row the actor may not see: refused first, as a missing one.
        await assertVisible(manager, 'application', this.childFilter(actor), input.applicationId, 'Application');
        const { request, application } = await lockForApplication(manager, input.applicationId);
        if (application.institutionId !== institutionId) throw new NotFoundError('Application');
        assertTransition(application.status, ApplicationStatus.CREDIT_GRANTED);
        if (await manager.getRepository(CreditGrant).existsBy({ applicationId: application.id })) {
          throw new BusinessRuleError(
            'GRANT_PENDING',
            'A grant on this application already awaits its second approval: approve that one (approveCreditGrant)',
          );
        }
        await assertBorrowerVerified(manager, application.enterpriseId);
        const product = await manager.getRepository(LoanProduct).findOneByOrFail({ id: application.loanProductId });
        const amount = money.units(input.amount);
        if (amount <= 0n)
          throw new BusinessRuleError('INVALID_AMOUNT', 'amount must be above zero', ['input', 'amount']);
        if (amount < money.units(product.minAmount) || amount > money.units(product.maxAmount)) {
          throw new BusinessRuleError(
            'AMOUNT_OUTSIDE_PRODUCT_LIMITS',
            `amount must be between the product's ${money.normalize(product.minAmount)} ` +
              `and ${money.normalize(product.maxAmount)} yuan`,
            ['input', 'amount'],
          );
        }
        const annualRate = rate.units(input.annualRate);
        if (annualRate < rate.units(product.minRate) || annualRate > rate.units(product.maxRate)) {
          throw new BusinessRuleError(
            'RATE_OUTSIDE_PRODUCT_RANGE',
            `annualRate must be between the product's ${rate.normalize(product.minRate)}% ` +
              `and ${rate.normalize(product.maxRate)}%`,
            ['input', 'annualRate'],
          );
        }
        if (input.termMonths < product.minTermMonths || input.termMonths > product.maxTermMonths) {
          throw new BusinessRuleError(
            'TERM_OUTSIDE_PRODUCT_RANGE',
            `termMonths must be between the product's ${product.minTermMonths} and ${product.maxTermMonths}`,
            ['input', 'termMonths'],
          );
        }
        const [granted] = await manager.query(
          `SELECT coalesce(sum(amount), 0)::text AS total FROM credit_grant WHERE financing_request_id = $1`,
          [application.financingRequestId],
        );
        if (money.units(granted.total) + amount > money.units(request.amount)) {
          // The total includes other institutions' grants, which this one may not see: not named.
          throw new BusinessRuleError(
            'GRANTS_EXCEED_REQUEST',
            `Grants on this request would total more than the ${money.normalize(request.amount)} yuan it asked for`,
            ['input', 'amount'],
          );
        }
        // 双人复核: above the institution's threshold the grant waits for a second staff member.
        const institution = await manager.getRepository(Institution).findOneByOrFail({ id: application.institutionId });
        const needsSecondPair =
          institution.fourEyesThreshold !== null && amount > money.units(institution.fourEyesThreshold);
        const grant = await manager.getRepository(CreditGrant).save(
          manager.getRepository(CreditGrant).create({
            applicationId: application.id,
            financingRequestId: application.financingRequestId,
            amount: input.amount,
            annualRate: input.annualRate,
            termMonths: input.termMonths,
            status: needsSecondPair ? CreditGrantStatus.PENDING_APPROVAL : CreditGrantStatus.APPROVED,
            proposedBy: actorKey(actor),
            approvedAt: needsSecondPair ? null : new Date(),
          }),
        );
        if (needsSecondPair) {
          // Waiting for the second approval is a state the client sees (creditGrant.status): an event of its own.
          const waiting = `${grantReason(grant)}: waits for a second staff member (双人复核)`;
          await recordEvent(context, application, application.status, application.status, waiting, {
            type: ApplicationEventType.CREDIT_GRANT_PROPOSED,
          });
        } else {
          await moveApplication(context, application, ApplicationStatus.CREDIT_GRANTED, grantReason(grant));
        }
        await emitAboutApplication(
          manager,
          needsSecondPair ? 'CREDIT_GRANT_PENDING_APPROVAL' : 'CREDIT_GRANT_MADE',
          application,
          { creditGrantId: ['CreditGrant', grant.id] },
        );
        return grant;
      },
    });
  }

  /**
   * 复核 — a second staff member of the same institution approves a grant that waits for four
   * eyes; the maker cannot check their own grant. Only then is the credit granted.
   */
  async approveCreditGrant(actor: Actor, input: ApproveCreditGrantInput): Promise<CreditGrant> {
    try {
      return await this.approve(actor, input);
    } catch (error) {
      // The refusal rolled back and changes nothing; the attempt is still kept, in a transaction of its own.
      const selfApproval = error instanceof BusinessRuleError && error.code === 'MAKER_CANNOT_CHECK';
      if (selfApproval) await this.recordRefusedSelfApproval(actor, input.creditGrantId);
      throw error;
    }
  }

  private approve(actor: Actor, input: ApproveCreditGrantInput): Promise<CreditGrant> {
    const institutionId = requireInstitution(actor);
    return runIdempotent(this.dataSource, actor, {
      operation: 'approveCreditGrant',
      key: input.idempotencyKey,
      input,
      answer: CreditGrant,
      run: async (context) => {
        const { manager } = context;
        const peek = await manager.getRepository(CreditGrant).findOneBy({ id: input.creditGrantId });
        if (!peek) throw new NotFoundError('CreditGrant');
        await assertVisible(manager, 'application', this.childFilter(actor), peek.applicationId, 'CreditGrant');
        const { application } = await lockForApplication(manager, peek.applicationId);
        if (application.institutionId !== institutionId) throw new NotFoundError('CreditGrant');
        const grant = await manager.getRepository(CreditGrant).findOneByOrFail({ id: peek.id });
        if (!grantMay('APPROVE', grant.status)) {
          throw new BusinessRuleError(
            'GRANT_NOT_PENDING',
            'This grant does not await approval: it is already approved',
          );
        }
        assertTransition(application.status, ApplicationStatus.CREDIT_GRANTED);
        if (grant.proposedBy === actorKey(actor)) {
          throw new BusinessRuleError(
            'MAKER_CANNOT_CHECK',
            'A grant above the four-eyes threshold needs a second staff member; its maker cannot approve it',
          );
        }
        await assertBorrowerVerified(manager, application.enterpriseId);
        grant.status = CreditGrantStatus.APPROVED;
        grant.approvedBy = actorKey(actor);
        grant.approvedAt = new Date();
        await manager.getRepository(CreditGrant).save(grant);
        // Who proposed it is the actor of its CREDIT_GRANT_PROPOSED event; who approved it, of this one.
        const checked = `${grantReason(grant)}: approved by a second staff member (双人复核)`;
        await moveApplication(context, application, ApplicationStatus.CREDIT_GRANTED, checked);
        await emitAboutApplication(manager, 'CREDIT_GRANT_APPROVED', application, {
          creditGrantId: ['CreditGrant', grant.id],
        });
        return grant;
      },
    });
  }

  /** The audit trace of a maker's refused attempt to approve their own grant (if it still waits, unchanged). */
  private async recordRefusedSelfApproval(actor: Actor, creditGrantId: string): Promise<void> {
    await withTransaction(this.dataSource, async (manager) => {
      const peek = await manager.getRepository(CreditGrant).findOneBy({ id: creditGrantId });
      if (!peek) return;
      const { application } = await lockForApplication(manager, peek.applicationId);
      const grant = await manager.getRepository(CreditGrant).findOneBy({ id: creditGrantId });
      if (grant?.status !== CreditGrantStatus.PENDING_APPROVAL || grant.proposedBy !== actorKey(actor)) return;
      const refused = `${grantReason(grant)}: its maker may not approve it (双人复核)`;
      await recordEvent({ actor, manager }, application, application.status, application.status, refused, {
        type: ApplicationEventType.CREDIT_GRANT_SELF_APPROVAL_REFUSED,
      });
    });
  }

  /**
   * 放款 — one tranche. The request and application rows are locked, so concurrent tranches
   * serialise and the total disbursed never exceeds the grant.
   */
  recordDisbursement(actor: Actor, input: RecordDisbursementInput): Promise<Disbursement> {
    const institutionId = requireInstitution(actor);
    const { idempotencyKey, ...fields } = input;
    return runIdempotent(this.dataSource, actor, {
      operation: 'recordDisbursement',
      key: idempotencyKey,
      input: fields,
      answer: Disbursement,
      run: async (context) => {
        const { manager } = context;
        await assertVisible(manager, 'application', this.childFilter(actor), input.applicationId, 'Application');
        const { application } = await lockForApplication(manager, input.applicationId);
        if (application.institutionId !== institutionId) throw new NotFoundError('Application');
        const grant = await manager.getRepository(CreditGrant).findOneBy({ applicationId: application.id });
        if (application.status === ApplicationStatus.ACCEPTED && grant?.status === CreditGrantStatus.PENDING_APPROVAL) {
          throw new BusinessRuleError(
            'GRANT_AWAITS_APPROVAL',
            'The credit grant awaits its second approval (four-eyes): another staff member approves it ' +
              '(approveCreditGrant) before anything is disbursed',
          );
        }
        assertTransition(application.status, ApplicationStatus.DISBURSED);
        if (!grant) throw new Error(`Application ${application.id} is ${application.status} without a credit grant`);
        await assertBorrowerVerified(manager, application.enterpriseId);
        const amount = money.units(input.amount);
        if (amount <= 0n)
          throw new BusinessRuleError('INVALID_AMOUNT', 'amount must be above zero', ['input', 'amount']);
        const [paid] = await manager.query(
          `SELECT coalesce(sum(amount), 0)::text AS total, count(*)::int AS tranches FROM disbursement
            WHERE credit_grant_id = $1`,
          [grant.id],
        );
        const remaining = money.units(grant.amount) - money.units(paid.total);
        if (amount > remaining) {
          throw new BusinessRuleError(
            'DISBURSEMENT_EXCEEDS_GRANT',
            `Only ${money.format(remaining)} yuan of the grant remains to disburse`,
            ['input', 'amount'],
          );
        }
        const disbursedOn = input.disbursedOn ?? chinaDate(new Date());
        if (disbursedOn < chinaDate(grant.grantedAt)) {
          throw new BusinessRuleError('DISBURSED_BEFORE_GRANT', 'disbursedOn cannot be before the credit was granted', [
            'input',
            'disbursedOn',
          ]);
        }
        const disbursement = await manager
          .getRepository(Disbursement)
          .save(
            manager.getRepository(Disbursement).create({ creditGrantId: grant.id, amount: input.amount, disbursedOn }),
          );
        const tranche = `放款 tranche ${paid.tranches + 1}: ${money.normalize(input.amount)} yuan`;
        await moveApplication(context, application, ApplicationStatus.DISBURSED, tranche);
        await emitAboutApplication(manager, 'TRANCHE_DISBURSED', application, {
          creditGrantId: ['CreditGrant', grant.id],
          disbursementId: ['Disbursement', disbursement.id],
        });
        return disbursement;
      },
    });
  }

  /** The enterprise withdraws a request: its open applications are withdrawn with it. Not once credit was granted. */
  withdrawFinancingRequest(
    actor: Actor,
    input: { financingRequestId: string; reason?: string | null; idempotencyKey?: string | null },
  ): Promise<FinancingRequest> {
    if (actor.kind !== 'ENTERPRISE') throw new ForbiddenError('Only the enterprise withdraws its financing request');
    return runIdempotent(this.dataSource, actor, {
      operation: 'withdrawFinancingRequest',
      key: input.idempotencyKey,
      input,
      answer: FinancingRequest,
      run: async (context) => {
        const { manager } = context;
        const requests = financingRequestVisibility(actor);
        await assertVisible(manager, 'financing_request', requests, input.financingRequestId, 'FinancingRequest');
        const request = await lockFinancingRequest(manager, input.financingRequestId);
        if (!request || request.enterpriseId !== actor.enterpriseId) throw new NotFoundError('FinancingRequest');
        await withdrawRequest(context, request, input.reason ?? null);
        return manager.getRepository(FinancingRequest).findOneByOrFail({ id: request.id });
      },
    });
  }

  /**
   * The operator revoked the registration of the need's enterprise (its USCC moved to another): the need
   * is withdrawn with its applications, as the operator's step. A need that gained credit (or was
   * withdrawn) since it was listed is left as it is.
   */
  async withdrawRevokedRequest(operator: Actor, financingRequestId: string, reason: string): Promise<boolean> {
    return withTransaction(this.dataSource, async (manager) => {
      const request = await lockFinancingRequest(manager, financingRequestId);
      if (!request || !requestMayMove('WITHDRAW', request.status, FinancingRequestStatus.WITHDRAWN)) return false;
      // Still revoked: an operator may have moved the USCC back since the need was listed. Read before the
      // applications are locked, which the request's lock makes safe: nobody else can hold them now.
      if ((await borrowerStatus(manager, request.enterpriseId)) !== EnterpriseVerificationStatus.REVOKED) return false;
      await withdrawRequest({ actor: operator, manager }, request, reason);
      return true;
    });
  }

  /**
   * Expires every submitted application whose response deadline has passed, in one statement,
   * with its audit events. Run periodically by the server and callable from the CLI.
   */
  async expireOverdueApplications(now: Date): Promise<number> {
    const expire = APPLICATION_LIFECYCLE.EXPIRE;
    return withTransaction(this.dataSource, async (manager) => {
      // The lock order: first the requests concerned, in id order; every other step on their
      // applications holds its request, so the applications found below stay as they were read.
      const requests: Array<{ id: string }> = await manager.query(
        `SELECT id::text FROM financing_request
         WHERE id IN (SELECT financing_request_id FROM application
                      WHERE ${applicationStepFromSql('EXPIRE', 'status')} AND response_deadline <= $1)
         ORDER BY id FOR UPDATE`,
        [now],
      );
      if (requests.length === 0) return 0;
      const expired: Array<{ financing_request_id: string }> = await manager.query(
        `WITH due AS (
           SELECT id, status FROM application
           WHERE ${applicationStepFromSql('EXPIRE', 'status')} AND response_deadline <= $1
             AND financing_request_id = ANY($3::bigint[])
         ), expired AS (
           UPDATE application SET status = $4, updated_at = now()
           FROM due WHERE application.id = due.id AND application.status = due.status
           RETURNING application.*, due.status AS from_status
         ), audit AS (
           INSERT INTO application_event (application_id, type, actor, from_status, to_status, reason)
           SELECT id, $5, $2, from_status, $4, 'not accepted before the response deadline' FROM expired
         ), outbox AS (${applicationEventsSql('APPLICATION_EXPIRED', 'expired')})
         SELECT DISTINCT financing_request_id::text FROM expired`,
        [now, actorKey(systemActor), requests.map((row) => row.id), expire.to, expire.event],
      );
      await refreshFinancingRequestStatus(
        manager,
        expired.map((row) => row.financing_request_id),
      );
      return expired.length;
    });
  }

  /**
   * Runs one lifecycle step on an application the actor owns (for institutions), holding the locks
   * of its request and itself.
   */
  private transition(
    actor: Actor,
    input: ApplicationActionInput,
    operation: string,
    decide: (manager: EntityManager, application: Application) => Promise<ApplicationStatus>,
    owningInstitutionId?: string,
  ): Promise<Application> {
    return runIdempotent(this.dataSource, actor, {
      operation,
      key: input.idempotencyKey,
      input: { applicationId: input.applicationId, reason: input.reason ?? null },
      answer: Application,
      run: async (context) => {
        const { manager } = context;
        // Never lock (nor wait for) a row the actor may not see: refused first, as a missing one.
        await assertVisible(manager, 'application', this.childFilter(actor), input.applicationId, 'Application');
        const { application } = await lockForApplication(manager, input.applicationId);
        if (owningInstitutionId && application.institutionId !== owningInstitutionId)
          throw new NotFoundError('Application');
        const to = await decide(manager, application);
        await moveApplication(context, application, to, input.reason ?? null);
        return application;
      },
    });
  }

  childFilter(actor: Actor): ChildFilter {
    switch (actor.kind) {
      case 'OPERATOR':
      case 'SYSTEM':
        return { key: 'all', where: 'TRUE', params: {} };
      case 'ENTERPRISE':
        return {
          key: `enterprise:${actor.enterpriseId}`,
          where: 'self.enterprise_id = :ownEnterpriseId',
          params: { ownEnterpriseId: actor.enterpriseId },
        };
      case 'INSTITUTION':
        return {
          key: `institution:${actor.institutionId}`,
          where: 'self.institution_id = :ownInstitutionId',
          params: { ownInstitutionId: actor.institutionId },
        };
      default:
        return { key: 'none', where: 'FALSE', params: {} };
    }
  }

  list(actor: Actor, page: PageRequest, status?: ApplicationStatus | null): Promise<Connection<Application>> {
    if (actor.kind === 'ANONYMOUS' || actor.kind === 'ANALYST')
      throw new ForbiddenError('Applications are not available to this account');
    const visible = this.childFilter(actor);
    return entityReader(this.dataSource, Application).page(
      'self',
      status ? bothFilters(visible, { where: 'self.status = :status', params: { status } }) : visible,
      page,
    );
  }

  /** Grants and events are visible with their application: SQL over `self` (a row with application_id). */
  withApplicationFilter(actor: Actor): RowFilter {
    const application = this.childFilter(actor);
    const visible = application.where.replace(/\bself\./g, 'app.');
    return {
      where: `EXISTS (SELECT 1 FROM application app WHERE app.id = self.application_id AND (${visible}))`,
      params: application.params,
    };
  }

  /** Disbursements are visible with their grant's application: SQL over `self`. */
  disbursementFilter(actor: Actor): RowFilter {
    const grant = this.withApplicationFilter(actor);
    const visible = grant.where.replace(/\bself\./g, 'grant_row.');
    return {
      where: `EXISTS (SELECT 1 FROM credit_grant grant_row WHERE grant_row.id = self.credit_grant_id AND (${visible}))`,
      params: grant.params,
    };
  }

  /**
   * The events of a visible application the actor sees: all, except that an enterprise does not see the
   * institution's internal control (a refused self-approval changed nothing it can observe).
   */
  eventFilter(actor: Actor): ChildFilter {
    if (actor.kind !== 'ENTERPRISE') return { key: 'all', where: 'TRUE', params: {} };
    const internalEvent = ApplicationEventType.CREDIT_GRANT_SELF_APPROVAL_REFUSED;
    return { key: 'enterprise-view', where: 'self.type <> :internalEvent', params: { internalEvent } };
  }

  /** Events as `node(id:)` shows them: with their application, under eventFilter. SQL over `self`. */
  eventVisibility(actor: Actor): RowFilter {
    return bothFilters(this.withApplicationFilter(actor), this.eventFilter(actor));
  }
}

function grantReason(grant: CreditGrant): string {
  return (
    `授信 ${money.normalize(grant.amount)} yuan at ${rate.normalize(grant.annualRate)}% ` +
    `for ${grant.termMonths} months`
  );
}

function requireInstitution(actor: Actor): string {
  if (actor.kind !== 'INSTITUTION') throw new ForbiddenError('Only the owning institution acts on an application');
  return actor.institutionId;
}

/**
 * Withdraws a locked need (WITHDRAW in financing-request.lifecycle.ts) and, set-based, its applications the
 * application lifecycle lets go (WITHDRAW_WITH_REQUEST), each with its audit event and the lapse of a pending
 * grant; the need's own trail (financing_request_event) records its withdrawal as it records its expiry.
 */
async function withdrawRequest(context: TransactionContext, request: FinancingRequest, reason: string | null) {
  const { manager, actor } = context;
  assertMayWithdraw(request.status, actor);
  const step = APPLICATION_LIFECYCLE.WITHDRAW_WITH_REQUEST;
  const withdrawn: Array<{ id: string }> = await manager.query(
    `WITH open_application AS (
       SELECT id, status FROM application
       WHERE financing_request_id = $1 AND ${applicationStepFromSql('WITHDRAW_WITH_REQUEST', 'status')}
       ORDER BY id FOR UPDATE
     ), withdrawn AS (
       UPDATE application SET status = $4, updated_at = now()
       FROM open_application WHERE application.id = open_application.id
       RETURNING application.*, open_application.status AS from_status
     ), audit AS (
       INSERT INTO application_event (application_id, type, actor, from_status, to_status, reason)
       SELECT id, $5, $2, from_status, $4, $3 FROM withdrawn
     ), outbox AS (${applicationEventsSql('APPLICATION_WITHDRAWN', 'withdrawn')})
     SELECT id::text FROM withdrawn`,
    [request.id, actorKey(actor), reason ?? 'financing request withdrawn', step.to, step.event],
  );
  await dropPendingGrants(
    context,
    withdrawn.map((row) => row.id),
  );
  await manager.query(
    `WITH withdrawn AS (
       UPDATE financing_request SET status = $5, updated_at = now() WHERE id = $1 RETURNING id
     )
     INSERT INTO financing_request_event (financing_request_id, actor, from_status, to_status, reason)
     SELECT id, $2, $3, $5, $4 FROM withdrawn`,
    [request.id, actorKey(actor), request.status, reason, FinancingRequestStatus.WITHDRAWN],
  );
  await refreshFinancingRequestStatus(manager, [request.id]);
}

/** A grant still waiting for its second approval lapses with its application, and says so in the audit trail. */
async function dropPendingGrants(context: TransactionContext, applicationIds: string[]): Promise<void> {
  await context.manager.query(
    `WITH lapsed AS (
       DELETE FROM credit_grant
       WHERE application_id = ANY($1::bigint[]) AND ${creditGrantStepFromSql('LAPSE', 'status')}
       RETURNING application_id, amount
     )
     INSERT INTO application_event (application_id, type, actor, from_status, to_status, reason)
     SELECT a.id, $3, $2, a.status, a.status,
       '授信 ' || lapsed.amount || ' yuan never had its second approval: it lapsed with the application'
     FROM lapsed JOIN application a ON a.id = lapsed.application_id
     ORDER BY a.id`,
    [applicationIds, actorKey(context.actor), CREDIT_GRANT_LIFECYCLE.LAPSE.event],
  );
}

async function moveApplication(
  context: TransactionContext,
  application: Application,
  to: ApplicationStatus,
  reason: string | null,
): Promise<void> {
  const { manager } = context;
  const from = application.status;
  application.status = to;
  await manager.getRepository(Application).save(application);
  await recordEvent(context, application, from, to, reason);
  // A grant still waiting for its second approval lapses with the application.
  if (to === ApplicationStatus.DECLINED || to === ApplicationStatus.WITHDRAWN) {
    await dropPendingGrants(context, [application.id]);
  }
  await refreshFinancingRequestStatus(manager, [application.financingRequestId]);
}

type ApplicationKeys = Pick<
  Application,
  'id' | 'financingRequestId' | 'loanProductId' | 'institutionId' | 'enterpriseId'
>;

/** The outbox event of each audit event; credit and tranches emit their own, with their IDs. */
const APPLICATION_OUTBOX_EVENTS: Partial<Record<ApplicationEventType, OutboxEventType>> = {
  [ApplicationEventType.SUBMITTED]: 'APPLICATION_SUBMITTED',
  [ApplicationEventType.ACCEPTED]: 'APPLICATION_ACCEPTED',
  [ApplicationEventType.DECLINED]: 'APPLICATION_DECLINED',
  [ApplicationEventType.WITHDRAWN]: 'APPLICATION_WITHDRAWN',
  [ApplicationEventType.EXPIRED]: 'APPLICATION_EXPIRED',
};

/** An event about one application, seen by its institution, its enterprise and the platform. */
function emitAboutApplication(
  manager: EntityManager,
  type: OutboxEventType,
  application: ApplicationKeys,
  more: Record<string, [string, string]> = {},
): Promise<void> {
  return emit(manager, {
    type,
    institutionId: application.institutionId,
    enterpriseId: application.enterpriseId,
    platform: true,
    payload: {
      applicationId: ['Application', application.id],
      financingRequestId: ['FinancingRequest', application.financingRequestId],
      loanProductId: ['LoanProduct', application.loanProductId],
      ...more,
    },
  });
}

/** The same events, set-based, for the application rows of `from` (a CTE). */
function applicationEventsSql(type: OutboxEventType, from: string): string {
  return emitSql({
    type,
    from,
    institutionId: 'institution_id',
    enterpriseId: 'enterprise_id',
    platform: true,
    payload: {
      applicationId: ['Application', 'id'],
      financingRequestId: ['FinancingRequest', 'financing_request_id'],
      loanProductId: ['LoanProduct', 'loan_product_id'],
    },
  });
}

/** What an event records (by default, the move to its status) and which outbox event goes with it. */
interface EventKind {
  type?: ApplicationEventType;
  outbox?: OutboxEventType;
}

async function recordEvent(
  context: TransactionContext,
  application: ApplicationKeys,
  from: ApplicationStatus | null,
  to: ApplicationStatus,
  reason: string | null,
  { type = eventOfMoveTo(to), outbox = APPLICATION_OUTBOX_EVENTS[type] }: EventKind = {},
) {
  const { manager, actor } = context;
  await manager
    .getRepository(ApplicationEvent)
    .insert({ applicationId: application.id, type, actor: actorKey(actor), fromStatus: from, toStatus: to, reason });
  if (outbox) await emitAboutApplication(manager, outbox, application);
}
