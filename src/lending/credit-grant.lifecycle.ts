import { Actor } from '../common/actor';
import { sqlList } from '../common/database/sql-list';
import { ApplicationEventType } from './application-event.entity';
import { CreditGrantStatus } from './credit-grant.entity';

const { PENDING_APPROVAL, APPROVED } = CreditGrantStatus;

/**
 * THE LIFECYCLE OF A CREDIT GRANT (授信), in one place. A grant is made APPROVED at once, or PENDING_APPROVAL
 * above its institution's four-eyes threshold until a second staff member approves it (双人复核); a pending
 * grant lapses (its row is deleted) when its application is declined or withdrawn, alone or with its need.
 * Every step is recorded in its application's trail (application_event), with the event below; the
 * application's own moves are in application.lifecycle.ts. A disbursement (放款) has no status: each is one
 * tranche, and moves the application to DISBURSED.
 */
export type CreditGrantStepKind = 'GRANT' | 'PROPOSE' | 'APPROVE' | 'REFUSE_SELF_APPROVAL' | 'LAPSE';

export interface CreditGrantStep {
  /** null: the grant is created. */
  from: CreditGrantStatus | null;
  /** null: the grant is gone (deleted). */
  to: CreditGrantStatus | null;
  by: readonly Actor['kind'][];
  via: string;
  event: ApplicationEventType;
}

export const CREDIT_GRANT_LIFECYCLE: Readonly<Record<CreditGrantStepKind, CreditGrantStep>> = {
  GRANT: {
    from: null,
    to: APPROVED,
    by: ['INSTITUTION'],
    via: 'grantCredit at or under the four-eyes threshold',
    event: ApplicationEventType.CREDIT_GRANTED,
  },
  PROPOSE: {
    from: null,
    to: PENDING_APPROVAL,
    by: ['INSTITUTION'],
    via: 'grantCredit above the four-eyes threshold',
    event: ApplicationEventType.CREDIT_GRANT_PROPOSED,
  },
  APPROVE: {
    from: PENDING_APPROVAL,
    to: APPROVED,
    by: ['INSTITUTION'],
    via: 'approveCreditGrant by another staff member than its maker',
    event: ApplicationEventType.CREDIT_GRANTED,
  },
  // Changes nothing; recorded in a transaction of its own after the refusal rolled back.
  REFUSE_SELF_APPROVAL: {
    from: PENDING_APPROVAL,
    to: PENDING_APPROVAL,
    by: ['INSTITUTION'],
    via: 'approveCreditGrant by its maker',
    event: ApplicationEventType.CREDIT_GRANT_SELF_APPROVAL_REFUSED,
  },
  LAPSE: {
    from: PENDING_APPROVAL,
    to: null,
    by: ['ENTERPRISE', 'INSTITUTION', 'OPERATOR', 'SYSTEM'],
    via: 'declining or withdrawing its application, or withdrawing its need (set-based)',
    event: ApplicationEventType.CREDIT_GRANT_LAPSED,
  },
};

/** May a grant in `from` take a step of `kind`? */
export function grantMay(kind: CreditGrantStepKind, from: CreditGrantStatus): boolean {
  return CREDIT_GRANT_LIFECYCLE[kind].from === from;
}

/** SQL true for the grants a step of `kind` may change (`status` is their status column). */
export function creditGrantStepFromSql(kind: CreditGrantStepKind, status: string): string {
  const { from } = CREDIT_GRANT_LIFECYCLE[kind];
  return from === null ? 'FALSE' : `${status} IN ${sqlList([from])}`;
}
