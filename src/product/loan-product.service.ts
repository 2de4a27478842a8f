import { bothFilters, entityReader } from '../common/database/entity-reader';
import { DataSource, SelectQueryBuilder } from 'typeorm';
import { productChanged } from '../matching/changes';
import { Actor } from '../common/actor';
import { BusinessRuleError, ForbiddenError, NotFoundError } from '../common/errors';
import { money, rate } from '../common/decimal';
import { Connection, PageRequest } from '../common/pagination';
import { ChildFilter } from '../common/loaders';
import { EnterpriseScale } from '../enterprise/enterprise.entity';
import { GuaranteeType, LoanProduct, LoanProductStatus } from './loan-product.entity';

export interface LoanProductTerms {
  name: string;
  guaranteeType: GuaranteeType;
  minAmount: string;
  maxAmount: string;
  minTermMonths: number;
  maxTermMonths: number;
  minRate: string;
  maxRate: string;
  eligibleRegions: string[];
  eligibleIndustries: string[];
  eligibleScales: EnterpriseScale[];
  minCreditScore?: number | null;
  minYearsInBusiness?: number | null;
  minAnnualRevenue?: string | null;
  gradeRates?: Array<{ grade: string; annualRate: string }>;
}

/** Allowed status changes of a loan product; RETIRED is final. */
export const LOAN_PRODUCT_TRANSITIONS: Readonly<Record<LoanProductStatus, readonly LoanProductStatus[]>> = {
  [LoanProductStatus.DRAFT]: [LoanProductStatus.PUBLISHED, LoanProductStatus.RETIRED],
  [LoanProductStatus.PUBLISHED]: [LoanProductStatus.SUSPENDED, LoanProductStatus.RETIRED],
  [LoanProductStatus.SUSPENDED]: [LoanProductStatus.PUBLISHED, LoanProductStatus.RETIRED],
  [LoanProductStatus.RETIRED]: [],
};

export class LoanProductService {
  constructor(private readonly dataSource: DataSource) {}

  async createLoanProduct(actor: Actor, terms: LoanProductTerms): Promise<LoanProduct> {
    if (actor.kind !== 'INSTITUTION') throw new ForbiddenError('Only an institution creates loan products');
    this.checkTerms(terms);
    const repository = this.dataSource.getRepository(LoanProduct);
    return repository.save(
      repository.create({
        ...normalizedTerms(terms),
        institutionId: actor.institutionId,
        status: LoanProductStatus.DRAFT,
      }),
    );
  }

  /** Changes the terms; a retired product cannot change. The row is locked while it changes. */
  async updateLoanProduct(actor: Actor, productId: string, terms: LoanProductTerms): Promise<LoanProduct> {
    this.checkTerms(terms);
    return this.dataSource.transaction(async (manager) => {
      const product = await this.lockOwned(
        manager.getRepository(LoanProduct).createQueryBuilder('product'),
        actor,
        productId,
      );
      if (product.status === LoanProductStatus.RETIRED)
        throw new BusinessRuleError('PRODUCT_RETIRED', 'A retired product cannot change');
      Object.assign(product, normalizedTerms(terms));
      const saved = await manager.getRepository(LoanProduct).save(product);
      if (saved.status !== LoanProductStatus.DRAFT) await productChanged(manager, saved.id);
      return saved;
    });
  }

  async changeStatus(actor: Actor, productId: string, to: LoanProductStatus): Promise<LoanProduct> {
    return this.dataSource.transaction(async (manager) => {
      const product = await this.lockOwned(
        manager.getRepository(LoanProduct).createQueryBuilder('product'),
        actor,
        productId,
      );
      if (!LOAN_PRODUCT_TRANSITIONS[product.status].includes(to)) {
        const next = LOAN_PRODUCT_TRANSITIONS[product.status];
        const advice = next.length > 0 ? `from there it can become ${next.join(' or ')}` : 'it cannot change any more';
        throw new BusinessRuleError('INVALID_TRANSITION', `The product is ${product.status}: ${advice}`);
      }
      product.status = to;
      const saved = await manager.getRepository(LoanProduct).save(product);
      // Matches follow the product in the background, never inside this mutation.
      await productChanged(manager, saved.id);
      return saved;
    });
  }

  private async lockOwned(
    query: SelectQueryBuilder<LoanProduct>,
    actor: Actor,
    productId: string,
  ): Promise<LoanProduct> {
    if (actor.kind !== 'INSTITUTION') throw new ForbiddenError('Only the owning institution changes a loan product');
    // Only the institution's own row is locked: another's is refused as missing without waiting for it.
    const own = { productId, institutionId: actor.institutionId };
    const product = await query
      .setLock('pessimistic_write')
      .where('product.id = :productId AND product.institution_id = :institutionId', own)
      .getOne();
    if (!product) throw new NotFoundError('LoanProduct');
    return product;
  }

  private checkTerms(terms: LoanProductTerms): void {
    if (money.units(terms.minAmount) <= 0n)
      throw new BusinessRuleError('INVALID_AMOUNT_RANGE', 'minAmount must be above zero', ['input', 'minAmount']);
    if (money.units(terms.minAmount) > money.units(terms.maxAmount)) {
      throw new BusinessRuleError('INVALID_AMOUNT_RANGE', 'minAmount must not exceed maxAmount', [
        'input',
        'maxAmount',
      ]);
    }
    if (terms.minTermMonths > terms.maxTermMonths) {
      throw new BusinessRuleError('INVALID_TERM_RANGE', 'minTermMonths must not exceed maxTermMonths', [
        'input',
        'maxTermMonths',
      ]);
    }
    if (rate.units(terms.minRate) > rate.units(terms.maxRate)) {
      throw new BusinessRuleError('INVALID_RATE_RANGE', 'minRate must not exceed maxRate', ['input', 'maxRate']);
    }
    const grades = new Set<string>();
    for (const gradeRate of terms.gradeRates ?? []) {
      if (grades.has(gradeRate.grade))
        throw new BusinessRuleError('DUPLICATE_GRADE_RATE', `Grade ${gradeRate.grade} has more than one rate`, [
          'input',
          'gradeRates',
        ]);
      grades.add(gradeRate.grade);
      const units = rate.units(gradeRate.annualRate);
      if (units < rate.units(terms.minRate) || units > rate.units(terms.maxRate)) {
        throw new BusinessRuleError(
          'GRADE_RATE_OUTSIDE_RANGE',
          `The rate for grade ${gradeRate.grade} must lie within the product's rate range`,
          ['input', 'gradeRates'],
        );
      }
    }
  }

  /** Which products the actor sees: loanProductVisibility. */
  childFilter(actor: Actor): ChildFilter {
    return loanProductVisibility(actor);
  }

  list(actor: Actor, page: PageRequest, status?: LoanProductStatus | null): Promise<Connection<LoanProduct>> {
    const visible = this.childFilter(actor);
    return entityReader(this.dataSource, LoanProduct).page(
      'self',
      status ? bothFilters(visible, { where: 'self.status = :status', params: { status } }) : visible,
      page,
    );
  }
}

/**
 * Published products are public; an institution also sees its own drafts; operators see all. SQL
 * over `self`; used by lists, `node(id:)` and every mutation that takes a product's ID.
 */
export function loanProductVisibility(actor: Actor): ChildFilter {
  if (actor.kind === 'OPERATOR' || actor.kind === 'SYSTEM') return { key: 'all', where: 'TRUE', params: {} };
  if (actor.kind === 'INSTITUTION') {
    return {
      key: `institution:${actor.institutionId}`,
      where: "(self.status = 'PUBLISHED' OR self.institution_id = :ownInstitutionId)",
      params: { ownInstitutionId: actor.institutionId },
    };
  }
  return { key: 'published', where: "self.status = 'PUBLISHED'", params: {} };
}

function normalizedTerms(terms: LoanProductTerms): Partial<LoanProduct> {
  return {
    ...terms,
    gradeRates: Object.fromEntries(
      (terms.gradeRates ?? []).map((gradeRate) => [gradeRate.grade, rate.normalize(gradeRate.annualRate)]),
    ),
    eligibleRegions: [...new Set(terms.eligibleRegions)],
    eligibleIndustries: [...new Set(terms.eligibleIndustries)],
    eligibleScales: [...new Set(terms.eligibleScales)],
    minCreditScore: terms.minCreditScore ?? null,
    minYearsInBusiness: terms.minYearsInBusiness ?? null,
    minAnnualRevenue: terms.minAnnualRevenue ?? null,
  };
}
