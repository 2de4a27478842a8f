import { Enterprise } from '../../enterprise/enterprise.entity';
import { CreditRecord } from '../../credit/credit-record.entity';
import { Institution } from '../../institution/institution.entity';
import { LoanProduct } from '../../product/loan-product.entity';
import { FinancingRequest } from '../../financing/financing-request.entity';
import { Application } from '../../lending/application.entity';
import { CreditGrant } from '../../lending/credit-grant.entity';
import { Disbursement } from '../../lending/disbursement.entity';
import { ApplicationEvent } from '../../lending/application-event.entity';
import { IdempotencyKey } from '../idempotency-key.entity';
import { CreditProfile } from '../../credit/credit-profile.entity';
import { ProductMatch } from '../../matching/product-match.entity';
import { MatchingJob } from '../../matching/matching-job.entity';
import { MatchableRequest } from '../../matching/matchable-request.entity';
import { UserAccount } from '../../auth/user-account.entity';
import { StaffInvitation } from '../../auth/staff-invitation.entity';
import { CreditAuthorization } from '../../credit/credit-authorization.entity';

export const entities = [
  Enterprise,
  CreditRecord,
  Institution,
  LoanProduct,
  FinancingRequest,
  Application,
  CreditGrant,
  Disbursement,
  ApplicationEvent,
  IdempotencyKey,
  CreditProfile,
  ProductMatch,
  MatchingJob,
  MatchableRequest,
  UserAccount,
  StaffInvitation,
  CreditAuthorization,
];
