import { BusinessRuleError } from '../common/errors';
import { ApplicationStatus } from './application.entity';

const { SUBMITTED, ACCEPTED, CREDIT_GRANTED, DISBURSED, DECLINED, WITHDRAWN, EXPIRED } = ApplicationStatus;

/**
 * The application lifecycle, in one place. DISBURSED → DISBURSED is a further tranche.
 * Checked by the services inside the transaction that holds the application's row lock.
 */
export const APPLICATION_TRANSITIONS: Readonly<Record<ApplicationStatus, readonly ApplicationStatus[]>> = {
  [SUBMITTED]: [ACCEPTED, DECLINED, WITHDRAWN, EXPIRED],
  [ACCEPTED]: [CREDIT_GRANTED, DECLINED, WITHDRAWN],
  [CREDIT_GRANTED]: [DISBURSED],
  [DISBURSED]: [DISBURSED],
  [DECLINED]: [],
  [WITHDRAWN]: [],
  [EXPIRED]: [],
};

/** Statuses in which an application still waits on someone (not final, no credit yet). */
export const OPEN_APPLICATION_STATUSES: readonly ApplicationStatus[] = [SUBMITTED, ACCEPTED];

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

export function assertTransition(from: ApplicationStatus, to: ApplicationStatus): void {
  if (!APPLICATION_TRANSITIONS[from].includes(to)) {
    throw new BusinessRuleError('INVALID_TRANSITION', transitionRefusal(from, to));
  }
}
