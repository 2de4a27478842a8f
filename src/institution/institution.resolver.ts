import { Arg, Args, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from 'type-graphql';
import { RequestContext } from '../common/context';
import { ConnectionArgs, pageRequest } from '../common/pagination';
import { toPayload } from '../common/payload';
import { Institution } from './institution.entity';
import { MoneyScalar } from '../common/scalars';
import {
  CreateInstitutionInput,
  CreateInstitutionPayload,
  InstitutionConnection,
  SetFourEyesThresholdInput,
  SetFourEyesThresholdPayload,
} from './institution.types';
import { UserAccount } from '../auth/user-account.entity';
import { LoanProduct } from '../product/loan-product.entity';
import { LoanProductConnection } from '../product/loan-product.types';

@Resolver(() => Institution)
export class InstitutionResolver {
  @Query(() => InstitutionConnection, { description: 'Financial institutions on the platform (金融机构).' })
  institutions(@Args(() => ConnectionArgs, { validate: false }) args: ConnectionArgs, @Ctx() ctx: RequestContext) {
    return ctx.services.institution.list(pageRequest(args, 'Institution'));
  }

  @Mutation(() => CreateInstitutionPayload, { description: '机构入驻 — onboard an institution (operators).' })
  async createInstitution(
    @Arg('input', () => CreateInstitutionInput) input: CreateInstitutionInput,
    @Ctx() ctx: RequestContext,
  ) {
    let admin: UserAccount | null = null;
    const payload = await toPayload('institution', async () => {
      const created = await ctx.services.institution.createInstitution(ctx.actor, input, ctx.clientAddress);
      admin = created.admin;
      return created.institution;
    });
    return { ...payload, admin };
  }

  @Mutation(() => SetFourEyesThresholdPayload, {
    description: '双人复核 — the institution admin sets the amount above which grants need a second approval.',
  })
  setFourEyesThreshold(
    @Arg('input', () => SetFourEyesThresholdInput) input: SetFourEyesThresholdInput,
    @Ctx() ctx: RequestContext,
  ) {
    return toPayload('institution', () => ctx.services.institution.setFourEyesThreshold(ctx.actor, input.threshold));
  }

  @FieldResolver(() => MoneyScalar, {
    nullable: true,
    description:
      '双人复核: grants above this amount need a second staff member’s approval; null means never. ' +
      'Only its own staff and operators see it (null to others).',
  })
  fourEyesThreshold(@Root() institution: Institution, @Ctx() ctx: RequestContext): string | null {
    return ctx.services.institution.seesInternals(ctx.actor, institution.id) ? institution.fourEyesThreshold : null;
  }

  @FieldResolver(() => LoanProductConnection, {
    description: "The institution's loan products: published ones, or all for the institution itself and operators.",
  })
  loanProducts(
    @Root() institution: Institution,
    @Args(() => ConnectionArgs, { validate: false }) args: ConnectionArgs,
    @Ctx() ctx: RequestContext,
  ) {
    return ctx.loaders.childConnection(
      LoanProduct,
      'institutionId',
      institution.id,
      args,
      ctx.services.product.childFilter(ctx.actor),
    );
  }
}
