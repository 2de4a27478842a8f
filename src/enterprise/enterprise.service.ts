import { DataSource } from 'typeorm';
import { Actor } from '../common/actor';
import { BusinessRuleError, ForbiddenError } from '../common/errors';
import { Connection, PageRequest } from '../common/pagination';
import { ALL_ROWS, bothFilters, entityReader, NO_ROWS, RowFilter } from '../common/database/entity-reader';
import { Enterprise, EnterpriseScale, EnterpriseVerificationStatus } from './enterprise.entity';
import { recomputeCreditProfiles } from '../credit/credit-scoring';
import { chinaToday, Clock, systemClock } from '../common/clock';
import { AuthService, Credentials } from '../auth/auth.service';
import { AccountRole } from '../auth/user-account.entity';

export interface RegisterEnterpriseInput {
  uscc: string;
  name: string;
  regionCode: string;
  industryCode: string;
  scale: EnterpriseScale;
  establishedOn: string;
  registeredCapital: string;
  annualRevenue: string;
  employees: number;
  /** The enterprise's first user account, created with it. */
  account?: Credentials | null;
}

export class EnterpriseService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly auth: AuthService,
    private readonly clock: Clock = systemClock,
  ) {}

  /**
   * Registration is open and creates an unverified claim (PENDING) on the USCC: several claims may
   * wait side by side, and the answer is the same whether or not the USCC or the email is known.
   * Until verified (identity-verification.service.ts) the enterprise sees only what it entered.
   */
  async registerEnterprise(_actor: Actor, input: RegisterEnterpriseInput, client?: string): Promise<Enterprise> {
    if (input.establishedOn > chinaToday(this.clock)) {
      throw new BusinessRuleError('ESTABLISHED_IN_FUTURE', 'The date established cannot be in the future', [
        'input',
        'establishedOn',
      ]);
    }
    const { account: credentials, ...fields } = input;
    const account = credentials ? await this.auth.newAccount(credentials, client) : null;
    return this.dataSource.transaction(async (manager) => {
      const repository = manager.getRepository(Enterprise);
      const inserted = await repository.createQueryBuilder().insert().values(fields).returning('id').execute();
      const id = String(inserted.raw[0].id);
      // Every enterprise has a credit profile from the start (the base score until records arrive).
      await recomputeCreditProfiles(manager, [id], chinaToday(this.clock));
      if (account) await this.auth.createAccountQuietly(manager, account, AccountRole.ENTERPRISE, { enterpriseId: id });
      return repository.findOneByOrFail({ id });
    });
  }

  /**
   * Enterprises the actor may see: operators all, an enterprise itself, an institution those whose needs reached or
   * match it. SQL over `self`.
   */
  visibility(actor: Actor): RowFilter {
    switch (actor.kind) {
      case 'OPERATOR':
      case 'SYSTEM':
        return ALL_ROWS;
      case 'ENTERPRISE':
        return { where: 'self.id = :enterpriseId', params: { enterpriseId: actor.enterpriseId } };
      case 'INSTITUTION':
        // Who posted a need that reached the institution or matches one of its products.
        return {
          where: `(EXISTS (SELECT 1 FROM application a
                           WHERE a.enterprise_id = self.id AND a.institution_id = :institutionId)
            OR EXISTS (SELECT 1 FROM financing_request r JOIN product_match m ON m.financing_request_id = r.id
                       JOIN loan_product p ON p.id = m.loan_product_id
                       WHERE r.enterprise_id = self.id AND p.institution_id = :institutionId))`,
          params: { institutionId: actor.institutionId },
        };
      default:
        return NO_ROWS;
    }
  }

  /** A page of the visible enterprises; `verificationStatus` narrows it (the operators' review queue: PENDING). */
  async list(
    actor: Actor,
    page: PageRequest,
    verificationStatus?: EnterpriseVerificationStatus | null,
  ): Promise<Connection<Enterprise>> {
    if (actor.kind === 'ANONYMOUS' || actor.kind === 'ANALYST')
      throw new ForbiddenError('Enterprise details are not available to this account');
    const visible = this.visibility(actor);
    const byStatus = { where: 'self.verification_status = :verificationStatus', params: { verificationStatus } };
    const filter = verificationStatus ? bothFilters(visible, byStatus) : visible;
    return entityReader(this.dataSource, Enterprise).page('self', filter, page);
  }
}
