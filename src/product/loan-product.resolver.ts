import { Arg, Args, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from 'type-graphql';
import { RequestContext } from '../common/context';
import { ConnectionArgs, MaxItems, pageRequest } from '../common/pagination';
import { CreditGrade } from '../credit/credit-profile.entity';
import { toPayload } from '../common/payload';
import { expectGlobalId } from '../common/global-id';
import { Institution } from '../institution/institution.entity';
import { GradeRate } from '../matching/matching.types';
import { LoanProduct, LoanProductStatus } from './loan-product.entity';
import {
  ChangeLoanProductStatusInput,
  CreateLoanProductInput,
  LoanProductConnection,
  LoanProductPayload,
  UpdateLoanProductInput,
} from './loan-product.types';

@Resolver(() => LoanProduct)
export class LoanProductResolver {
  @Query(() => LoanProductConnection, {
    description: 'Loan products (贷款产品): published ones, plus the acting institution’s own.',
  })
  loanProducts(
    @Args(() => ConnectionArgs, { validate: false }) args: ConnectionArgs,
    @Arg('status', () => LoanProductStatus, { nullable: true }) status: LoanProductStatus | null,
    @Ctx() ctx: RequestContext,
  ) {
    return ctx.services.product.list(ctx.actor, pageRequest(args, 'LoanProduct'), status);
  }

  @Mutation(() => LoanProductPayload, { description: 'Create a loan product as a draft (institutions).' })
  createLoanProduct(
    @Arg('input', () => CreateLoanProductInput) input: CreateLoanProductInput,
    @Ctx() ctx: RequestContext,
  ) {
    return toPayload('loanProduct', () => ctx.services.product.createLoanProduct(ctx.actor, input));
  }

  @Mutation(() => LoanProductPayload, { description: 'Replace the terms of an own loan product.' })
  updateLoanProduct(
    @Arg('input', () => UpdateLoanProductInput) input: UpdateLoanProductInput,
    @Ctx() ctx: RequestContext,
  ) {
    const { loanProductId, ...terms } = input;
    const id = expectGlobalId(loanProductId, 'LoanProduct', 'loanProductId');
    return toPayload('loanProduct', () => ctx.services.product.updateLoanProduct(ctx.actor, id, terms));
  }

  @Mutation(() => LoanProductPayload, { description: '发布 — publish a draft or suspended product.' })
  publishLoanProduct(
    @Arg('input', () => ChangeLoanProductStatusInput) input: ChangeLoanProductStatusInput,
    @Ctx() ctx: RequestContext,
  ) {
    return this.changeStatus(input, LoanProductStatus.PUBLISHED, ctx);
  }

  @Mutation(() => LoanProductPayload, { description: '暂停 — suspend a published product.' })
  suspendLoanProduct(
    @Arg('input', () => ChangeLoanProductStatusInput) input: ChangeLoanProductStatusInput,
    @Ctx() ctx: RequestContext,
  ) {
    return this.changeStatus(input, LoanProductStatus.SUSPENDED, ctx);
  }

  @Mutation(() => LoanProductPayload, { description: '下架 — retire a product for good.' })
  retireLoanProduct(
    @Arg('input', () => ChangeLoanProductStatusInput) input: ChangeLoanProductStatusInput,
    @Ctx() ctx: RequestContext,
  ) {
    return this.changeStatus(input, LoanProductStatus.RETIRED, ctx);
  }

  @FieldResolver(() => [GradeRate], { description: '守信激励 — lower annual rates for better credit grades.' })
  @MaxItems(Object.keys(CreditGrade).length)
  gradeRates(@Root() product: LoanProduct): GradeRate[] {
    return Object.entries(product.gradeRates ?? {}).map(([grade, annualRate]) => ({
      grade: grade as GradeRate['grade'],
      annualRate,
    }));
  }

  @FieldResolver(() => Institution, { description: 'The institution offering the product.' })
  institution(@Root() product: LoanProduct, @Ctx() ctx: RequestContext) {
    return ctx.loaders.byId(Institution).load(product.institutionId);
  }

  private changeStatus(input: ChangeLoanProductStatusInput, to: LoanProductStatus, ctx: RequestContext) {
    const id = expectGlobalId(input.loanProductId, 'LoanProduct', 'loanProductId');
    return toPayload('loanProduct', () => ctx.services.product.changeStatus(ctx.actor, id, to));
  }
}
