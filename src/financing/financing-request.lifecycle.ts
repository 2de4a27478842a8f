import { Actor } from '../common/actor';
import { BusinessRuleError, ForbiddenError } from '../common/errors';
import { ApplicationStatus } from '../lending/application.entity';
import { FinancingRequestStatus, OPEN_REQUEST_STATUSES } from './financing-request.entity';

/**
 * THE LIFECYCLE OF A FINANCING NEED (融资需求), in one place: which status may follow which, through which
 * step, by whom, and what the audit trail records. Every path that changes `financing_request.status` reads
 * it: a withdrawal through `assertMayWithdraw`, the set-based statements (the expiry sweep, the status that
 * follows the applications, the list of needs a revoked enterprise loses) through the SQL this file
 * generates, so that SQL and TypeScript cannot disagree (test/lifecycle-table.test.ts checks every
 * combination against the database).
 */

const { OPEN, APPLIED, ACCEPTED, CREDIT_GRANTED, DISBURSED, WITHDRAWN, EXPIRED } = FinancingRequestStatus;

export type FinancingRequestStepKind = 'POST' | 'FOLLOW' | 'WITHDRAW' | 'EXPIRE';

export interface FinancingRequestStep {
  kind: FinancingRequestStepKind;
  /** null: the need is created. */
  from: FinancingRequestStatus | null;
  to: readonly FinancingRequestStatus[];
  /** Who may take the step (the kind of actor); FOLLOW is taken by whoever moved one of its applications. */
  by: readonly Actor['kind'][];
  /** The code path that takes it. */
  via: string;
  /** What the audit trail records. */
  audit: string;
}

const anyone: readonly Actor['kind'][] = ['ENTERPRISE', 'INSTITUTION', 'OPERATOR', 'SYSTEM'];
const follows = (from: FinancingRequestStatus, to: readonly FinancingRequestStatus[]): FinancingRequestStep => ({
  kind: 'FOLLOW',
  from,
  to: to.filter((status) => status !== from),
  by: anyone,
  via: 'refreshFinancingRequestStatus, after any step of one of its applications',
  audit: 'the step of the application, in application_event',
});
const withdraws = (from: FinancingRequestStatus): FinancingRequestStep => ({
  kind: 'WITHDRAW',
  from,
  to: [WITHDRAWN],
  by: ['ENTERPRISE', 'OPERATOR', 'SYSTEM'],
  via:
    'withdrawFinancingRequest (the enterprise); reassignEnterpriseIdentity (the platform revokes its registration), ' +
    'finished by the calendar sweep where that withdrawal did not run',
  audit: 'financing_request_event (actor, from, WITHDRAWN, reason); WITHDRAWN of each application withdrawn with it',
});

export const FINANCING_REQUEST_LIFECYCLE: readonly FinancingRequestStep[] = [
  {
    kind: 'POST',
    from: null,
    to: [OPEN],
    by: ['ENTERPRISE'],
    via: 'postFinancingRequest',
    audit: 'the outbox event REQUEST_POSTED',
  },
  // A need follows the most advanced of its applications (deriveRequestStatus); one refresh may see more
  // than one step of them (a set-based sweep).
  ...OPEN_REQUEST_STATUSES.map((from) => follows(from, [...OPEN_REQUEST_STATUSES, CREDIT_GRANTED, DISBURSED])),
  follows(CREDIT_GRANTED, [DISBURSED]),
  // An expired need stays expired unless one of its running applications is granted credit.
  follows(EXPIRED, [CREDIT_GRANTED, DISBURSED]),
  ...[...OPEN_REQUEST_STATUSES, EXPIRED].map(withdraws),
  ...OPEN_REQUEST_STATUSES.map((from) => ({
    kind: 'EXPIRE' as const,
    from,
    to: [EXPIRED],
    by: ['SYSTEM' as const],
    via: 'expireLapsedRequests (the calendar sweep), once validUntil has passed in China',
    audit: 'financing_request_event (SYSTEM, from, EXPIRED, the China date)',
  })),
];

/** May a need in `from` become `to` by a step of `kind`? */
export function requestMayMove(
  kind: FinancingRequestStepKind,
  from: FinancingRequestStatus | null,
  to: FinancingRequestStatus,
): boolean {
  return FINANCING_REQUEST_LIFECYCLE.some((step) => step.kind === kind && step.from === from && step.to.includes(to));
}

/** The statuses a step of `kind` leaves from (to `to`, when given). */
export function requestStepFrom(kind: FinancingRequestStepKind, to?: FinancingRequestStatus): FinancingRequestStatus[] {
  const from = FINANCING_REQUEST_LIFECYCLE.filter(
    (step) => step.kind === kind && step.from !== null && (to === undefined || step.to.includes(to)),
  ).map((step) => step.from!);
  return [...new Set(from)];
}

/** Refuses a withdrawal the table forbids (to this actor, or from this status), saying why. */
export function assertMayWithdraw(from: FinancingRequestStatus, actor: Actor): void {
  if (!FINANCING_REQUEST_LIFECYCLE.some((step) => step.kind === 'WITHDRAW' && step.by.includes(actor.kind)))
    throw new ForbiddenError('Only the enterprise (or the operator revoking it) withdraws its financing request');
  if (requestMayMove('WITHDRAW', from, WITHDRAWN)) return;
  if (from === WITHDRAWN)
    throw new BusinessRuleError('INVALID_TRANSITION', 'The financing request is already withdrawn; nothing to do');
  if (from === CREDIT_GRANTED || from === DISBURSED) {
    throw new BusinessRuleError(
      'REQUEST_HAS_CREDIT',
      'Credit was already granted on this request; it can no longer be withdrawn',
    );
  }
  throw new BusinessRuleError('INVALID_TRANSITION', `A financing request that is ${from} cannot be withdrawn`);
}

/**
 * How a need's status follows its applications, first rule that holds: withdrawn stays withdrawn; then the
 * most advanced application (DISBURSED, CREDIT_GRANTED); an expired need stays expired short of credit; then
 * ACCEPTED, APPLIED (one SUBMITTED); else OPEN. Read by deriveRequestStatus and, as SQL, derivedStatusSql.
 */
const DERIVATION: ReadonlyArray<
  | { current: FinancingRequestStatus; then: FinancingRequestStatus }
  | { any: ApplicationStatus; then: FinancingRequestStatus }
> = [
  { current: WITHDRAWN, then: WITHDRAWN },
  { any: ApplicationStatus.DISBURSED, then: DISBURSED },
  { any: ApplicationStatus.CREDIT_GRANTED, then: CREDIT_GRANTED },
  { current: EXPIRED, then: EXPIRED },
  { any: ApplicationStatus.ACCEPTED, then: ACCEPTED },
  { any: ApplicationStatus.SUBMITTED, then: APPLIED },
];

/** The status a need in `current` with applications in `applications` should have. */
export function deriveRequestStatus(
  current: FinancingRequestStatus,
  applications: readonly ApplicationStatus[],
): FinancingRequestStatus {
  for (const rule of DERIVATION) {
    if ('current' in rule ? current === rule.current : applications.includes(rule.any)) return rule.then;
  }
  return OPEN;
}

/**
 * deriveRequestStatus as a SQL aggregate expression, over rows grouped by the need (`request` its status
 * column, `application` the status column of its applications, NULL where it has none).
 */
export function derivedStatusSql(request: string, application: string): string {
  const whens = DERIVATION.map((rule) =>
    'current' in rule
      ? `WHEN ${request} = '${rule.current}' THEN '${rule.then}'`
      : `WHEN bool_or(${application} = '${rule.any}') THEN '${rule.then}'`,
  );
  return `CASE ${whens.join(' ')} ELSE '${OPEN}' END::financing_request_status`;
}

/**
 * SQL true when a need may follow its applications from `from` to `to` (both status expressions): a
 * refresh leaves a need as it is when the table forbids the move (an expiry that committed after the
 * derivation read the need must not be undone).
 */
export function followAllowedSql(from: string, to: string): string {
  const pairs = FINANCING_REQUEST_LIFECYCLE.filter((step) => step.kind === 'FOLLOW').flatMap((step) =>
    step.to.map((status) => `('${step.from}', '${status}')`),
  );
  return `(${from}::text, ${to}::text) IN (${pairs.join(', ')})`;
}
