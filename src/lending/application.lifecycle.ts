import { Actor } from '../common/actor';
import { BusinessRuleError } from '../common/errors';
import { sqlList } from '../common/database/sql-list';
import { ApplicationStatus } from './application.entity';
import { ApplicationEventType } from './application-event.entity';

const { SUBMITTED, ACCEPTED, CREDIT_GRANTED, DISBURSED, DECLINED, WITHDRAWN, EXPIRED } = ApplicationStatus;

/**
 * THE LIFECYCLE OF AN APPLICATION (对接), in one place: each step with the statuses it leaves from, the
 * status it reaches, who takes it, the code path and the audit event written (application_event.type).
 * The one-row steps check it with `assertTransition` inside the transaction that holds the application's
 * row lock; the set-based statements (withdrawing a need's applications, the response-deadline sweep)
 * select their rows with `applicationStepFromSql`, so that they change only rows the table lets them.
 * A need's status follows (src/financing/financing-request.lifecycle.ts); a credit grant's steps that
 * leave the status as it was are in credit-grant.lifecycle.ts.
 */
export type ApplicationStepKind =
  'APPLY' | 'CLAIM' | 'ACCEPT' | 'DECLINE' | 'WITHDRAW' | 'WITHDRAW_WITH_REQUEST' | 'EXPIRE' | 'GRANT' | 'DISBURSE';

export interface ApplicationStep {
  /** Empty: the application is created. */
  from: readonly ApplicationStatus[];
  to: ApplicationStatus;
  by: readonly Actor['kind'][];
  via: string;
  event: ApplicationEventType;
}

export const APPLICATION_LIFECYCLE: Readonly<Record<ApplicationStepKind, ApplicationStep>> = {
  APPLY: { from: [], to: SUBMITTED, by: ['ENTERPRISE'], via: 'applyToProduct', event: ApplicationEventType.SUBMITTED },
  CLAIM: {
    from: [],
    to: SUBMITTED,
    by: ['INSTITUTION'],
    via: 'claimFinancingRequest (抢单)',
    event: ApplicationEventType.CLAIMED,
  },
  ACCEPT: {
    from: [SUBMITTED],
    to: ACCEPTED,
    by: ['INSTITUTION'],
    via: 'acceptApplication, before the response deadline',
    event: ApplicationEventType.ACCEPTED,
  },
  DECLINE: {
    from: [SUBMITTED, ACCEPTED],
    to: DECLINED,
    by: ['INSTITUTION'],
    via: 'declineApplication (a pending grant lapses)',
    event: ApplicationEventType.DECLINED,
  },
  WITHDRAW: {
    from: [SUBMITTED, ACCEPTED],
    to: WITHDRAWN,
    by: ['ENTERPRISE'],
    via: 'withdrawApplication (a pending grant lapses)',
    event: ApplicationEventType.WITHDRAWN,
  },
  WITHDRAW_WITH_REQUEST: {
    from: [SUBMITTED, ACCEPTED],
    to: WITHDRAWN,
    by: ['ENTERPRISE', 'OPERATOR', 'SYSTEM'],
    via: 'withdrawing its need, set-based (pending grants lapse); by the platform when it revokes the enterprise',
    event: ApplicationEventType.WITHDRAWN,
  },
  EXPIRE: {
    from: [SUBMITTED],
    to: EXPIRED,
    by: ['SYSTEM'],
    via: 'expireOverdueApplications (set-based), once the response deadline has passed',
    event: ApplicationEventType.EXPIRED,
  },
  GRANT: {
    from: [ACCEPTED],
    to: CREDIT_GRANTED,
    by: ['INSTITUTION'],
    via: 'grantCredit at or under the four-eyes threshold, or approveCreditGrant (the second staff member)',
    event: ApplicationEventType.CREDIT_GRANTED,
  },
  // DISBURSED → DISBURSED is a further tranche.
  DISBURSE: {
    from: [CREDIT_GRANTED, DISBURSED],
    to: DISBURSED,
    by: ['INSTITUTION'],
    via: 'recordDisbursement (one tranche)',
    event: ApplicationEventType.DISBURSED,
  },
};

const STEPS = Object.values(APPLICATION_LIFECYCLE);

/** From each status, the statuses it may reach: the table above, by status. */
export const APPLICATION_TRANSITIONS: Readonly<Record<ApplicationStatus, readonly ApplicationStatus[]>> =
  Object.fromEntries(
    Object.values(ApplicationStatus).map((from) => [
      from,
      [...new Set(STEPS.filter((step) => step.from.includes(from)).map((step) => step.to))],
    ]),
  ) as Record<ApplicationStatus, ApplicationStatus[]>;

/** The audit event of a move to `to` (every step to one status writes the same event once it exists). */
export function eventOfMoveTo(to: ApplicationStatus): ApplicationEventType {
  return STEPS.find((step) => step.to === to && step.from.length > 0)!.event;
}

/** SQL true for the rows a step of `kind` may move (`status` is their status column). */
export function applicationStepFromSql(kind: ApplicationStepKind, status: string): string {
  return `${status} IN ${sqlList(APPLICATION_LIFECYCLE[kind].from)}`;
}

const CLOSED: Partial<Record<ApplicationStatus, string>> = {
  [DECLINED]: 'was declined',
  [WITHDRAWN]: 'was withdrawn',
  [EXPIRED]: 'expired unanswered',
};
const GRANTED: readonly ApplicationStatus[] = [CREDIT_GRANTED, DISBURSED];

/** Why an application cannot make a step, said so that the client knows what to do instead. */
export function transitionRefusal(from: ApplicationStatus, to: ApplicationStatus): string {
  const closed = CLOSED[from];
  if (closed) return `The application ${closed}: it is closed and cannot change; the enterprise may apply anew`;
  if (GRANTED.includes(from)) {
    if (to === CREDIT_GRANTED) return 'Credit was already granted on this application; disburse against it';
    return `Credit was already granted on this application (${from}); it can no longer be ${verbs[to]}`;
  }
  if (to === ACCEPTED) return 'The application is already accepted; grant credit or decline it';
  if (to === CREDIT_GRANTED) {
    return 'The application is not accepted yet: accept it (acceptApplication) before granting credit';
  }
  if (to === DISBURSED) {
    return 'No credit is granted on this application yet: grant credit (grantCredit) before disbursing';
  }
  return `An application that is ${from} cannot be ${verbs[to]}`;
}

const verbs: Record<ApplicationStatus, string> = {
  [SUBMITTED]: 'submitted',
  [ACCEPTED]: 'accepted',
  [CREDIT_GRANTED]: 'granted credit',
  [DISBURSED]: 'disbursed',
  [DECLINED]: 'declined',
  [WITHDRAWN]: 'withdrawn',
  [EXPIRED]: 'expired',
};

/** Refuses a one-row step the table forbids, saying what the client may do instead. */
export function assertTransition(from: ApplicationStatus, to: ApplicationStatus): void {
  if (!APPLICATION_TRANSITIONS[from].includes(to)) {
    throw new BusinessRuleError('INVALID_TRANSITION', transitionRefusal(from, to));
  }
}
