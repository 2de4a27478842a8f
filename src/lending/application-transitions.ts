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

export function assertTransition(from: ApplicationStatus, to: ApplicationStatus): void {
  if (!APPLICATION_TRANSITIONS[from].includes(to)) {
    throw new BusinessRuleError('INVALID_TRANSITION', `An application that is ${from} cannot become ${to}`);
  }
}
