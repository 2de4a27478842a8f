import { systemActor } from './common/actor';
import type { TaskRun } from './common/background';
import { DataSource } from 'typeorm';
import { AppConfig, loadConfig } from './common/config';
import { AuthService } from './auth/auth.service';
import { TokenService } from './auth/tokens';
import { EnterpriseService } from './enterprise/enterprise.service';
import { CreditService } from './credit/credit.service';
import { InstitutionService } from './institution/institution.service';
import { LoanProductService } from './product/loan-product.service';
import { FinancingRequestService } from './financing/financing-request.service';
import { LendingService } from './lending/lending.service';
import { MATCHING_JOB_RETENTION, MatchingService } from './matching/matching.service';
import { AnalyticsService } from './analytics/analytics.service';
import { Clock, systemClock } from './common/clock';
import { DailyRescoring } from './credit/credit-scoring';
import { CalendarCoverage, HolidayScheduleService } from './calendar/holiday-schedule.service';

/** What one calendar sweep did, and whether the coming year has its holiday schedule. */
export interface CalendarSweep {
  expiredRequests: number;
  /** Needs of revoked registrations withdrawn by the sweep (their withdrawal after the revocation did not finish). */
  revokedRequestsWithdrawn: number;
  rescoring: DailyRescoring | null;
  holidays: CalendarCoverage;
}
import { IdentityVerificationService } from './enterprise/identity-verification.service';
import { SignedAssertionVerifier } from './enterprise/identity-verifier';
import { StaffInvitationService } from './auth/staff-invitation.service';
import { MAIL_OUTBOX_RETENTION, MailOutbox } from './mail/mail-outbox';
import { DEFAULT_WEBHOOK_OPTIONS, WEBHOOK_DELIVERY_RETENTION, WebhookService } from './notifications/webhooks';
import { OUTBOX_RETENTION } from './notifications/outbox';
import { RetentionJob } from './common/retention';
import { IDEMPOTENCY_KEY_RETENTION } from './common/idempotency';
import { ENDED_SESSION_RETENTION } from './auth/auth.service';
import { SIGN_IN_THROTTLE_RETENTION } from './auth/sign-in-throttle';

/** Needs of revoked registrations one calendar sweep withdraws at most; the next sweep takes the rest. */
const REVOKED_REQUESTS_PER_SWEEP = 1000;
const REVOKED_BY_SWEEP = 'identity (实名认证) of the registration was revoked: withdrawn by the platform';

/** The business services, stateless over one DataSource; used by resolvers, the CLI and jobs alike. */
export function createServices(
  dataSource: DataSource,
  config: Pick<AppConfig, 'jwtSecret' | 'accessTokenTtlSeconds'> &
    Partial<
      Pick<
        AppConfig,
        'sessionTtlSeconds' | 'identityAssertionKey' | 'identityAssertionIssuer' | 'production' | 'webhooks'
      >
    > = loadConfig(),
  clock: Clock = systemClock,
) {
  const matching = new MatchingService(dataSource, clock);
  const tokens = new TokenService(config.jwtSecret, config.accessTokenTtlSeconds);
  const auth = new AuthService(dataSource, tokens, config.sessionTtlSeconds);
  const { identityAssertionKey: key, identityAssertionIssuer: issuer } = config;
  const verifier = key ? new SignedAssertionVerifier(key, issuer) : null;
  const identity = new IdentityVerificationService(dataSource, verifier);
  const financing = new FinancingRequestService(dataSource, matching, clock);
  const credit = new CreditService(dataSource, clock);
  const calendar = new HolidayScheduleService(dataSource, clock);
  const lending = new LendingService(dataSource, matching, calendar, credit, clock);
  identity.onChanged = () => auth.accounts.forgetEveryAccount();
  // A registration that lost its verification keeps no open need in the USCC's name.
  identity.onRevoked = async (operator, enterpriseId, reason) => {
    for (const financingRequestId of await financing.withdrawableRequestIdsOf(enterpriseId)) {
      await lending.withdrawRevokedRequest(operator, financingRequestId, reason);
    }
  };
  // What a revocation's withdrawal left is finished by the calendar sweep, as the platform's step. A need that
  // fails (busy) does not stop the others; the first failure is reported and the next sweep tries again.
  const withdrawLeftByRevocations = async (run: TaskRun): Promise<number> => {
    let withdrawn = 0;
    let failure: unknown = null;
    for (const financingRequestId of await financing.withdrawableRequestIdsOfRevoked(REVOKED_REQUESTS_PER_SWEEP)) {
      if (run.stopping) break;
      try {
        if (await lending.withdrawRevokedRequest(systemActor, financingRequestId, REVOKED_BY_SWEEP)) withdrawn++;
      } catch (error) {
        failure ??= error;
      }
    }
    if (failure) throw failure;
    return withdrawn;
  };
  // Whole messages go to the log outside production, until a mail relay sends them.
  const mail = new MailOutbox(dataSource, !config.production);
  return {
    auth,
    mail,
    invitations: new StaffInvitationService(dataSource, auth, mail),
    matching,
    webhooks: new WebhookService(dataSource, { ...DEFAULT_WEBHOOK_OPTIONS, ...config.webhooks }),
    identity,
    enterprise: new EnterpriseService(dataSource, auth, clock),
    credit,
    institution: new InstitutionService(dataSource, auth),
    product: new LoanProductService(dataSource),
    financing,
    calendar,
    lending,
    analytics: new AnalyticsService(dataSource),
    /** Deletes what the log-like tables no longer need (a worker's loop); the audit trail is not among them. */
    retention: new RetentionJob(dataSource, [
      OUTBOX_RETENTION,
      WEBHOOK_DELIVERY_RETENTION,
      IDEMPOTENCY_KEY_RETENTION,
      MATCHING_JOB_RETENTION,
      ENDED_SESSION_RETENTION,
      SIGN_IN_THROTTLE_RETENTION,
      MAIL_OUTBOX_RETENTION,
    ]),
    /**
     * What the passing of China days changes, idempotent and safe in several processes at once: run
     * by the server's periodic sweep and `npm run sweep:calendar`. It also tells (in the log, once a
     * China day) when the coming year still lacks its holiday schedule.
     */
    async calendarSweep(run: TaskRun = { stopping: false }): Promise<CalendarSweep> {
      const expiredRequests = await financing.expireLapsedRequests();
      const rescoring = await credit.rescoreDueProfiles();
      const holidays = await calendar.warnIfUncovered();
      return { expiredRequests, revokedRequestsWithdrawn: await withdrawLeftByRevocations(run), rescoring, holidays };
    },
  };
}

export type Services = ReturnType<typeof createServices>;
