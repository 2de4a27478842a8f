import { Arg, Args, Ctx, FieldResolver, Mutation, Resolver, Root } from 'type-graphql';
import { RequestContext } from '../common/context';
import { ConnectionArgs, toConnection, pageRequest } from '../common/pagination';
import { Enterprise } from '../enterprise/enterprise.entity';
import { CreditRecord } from './credit-record.entity';
import { CreditRecordConnection, ImportCreditRecordsInput, ImportCreditRecordsPayload } from './credit.types';
import { CreditProfile } from './credit-profile.entity';
import { CreditContribution } from '../matching/matching.types';

@Resolver(() => Enterprise)
export class CreditResolver {
  @Mutation(() => ImportCreditRecordsPayload, { description: '导入信用记录 — import credit records from a government source (operators). Idempotent by source and reference.' })
  importCreditRecords(@Arg('input', () => ImportCreditRecordsInput) input: ImportCreditRecordsInput, @Ctx() ctx: RequestContext) {
    return ctx.services.credit.importCreditRecords(ctx.actor, input.records as unknown as Array<Record<string, unknown>>);
  }

  @FieldResolver(() => CreditProfile, { nullable: true, description: '信用画像 — score (0–1000), grade and flags under the current scoring model.' })
  creditProfile(@Root() enterprise: Enterprise, @Ctx() ctx: RequestContext) {
    return ctx.loaders
      .keyed<string, CreditProfile | null>('creditProfileByEnterprise', async (enterpriseIds) => {
        const profiles = await ctx.dataSource.getRepository(CreditProfile).createQueryBuilder('profile').where('profile.enterpriseId = ANY(:ids)', { ids: [...enterpriseIds] }).getMany();
        return enterpriseIds.map((id) => profiles.find((profile) => profile.enterpriseId === id) ?? null);
      })
      .load(enterprise.id);
  }

  @FieldResolver(() => CreditRecordConnection, {
    description: 'Credit record details (信用记录). Empty unless the actor is the enterprise, an operator, or an institution it authorised by applying.',
  })
  async creditRecords(@Root() enterprise: Enterprise, @Args(() => ConnectionArgs) args: ConnectionArgs, @Ctx() ctx: RequestContext) {
    if (!(await ctx.services.credit.canSeeRecordsOf(ctx.actor, enterprise.id))) {
      return toConnection<CreditRecord>([], pageRequest(args), async () => 0);
    }
    return ctx.loaders.childConnection(CreditRecord, 'enterpriseId', enterprise.id, args);
  }
}

@Resolver(() => CreditProfile)
export class CreditProfileResolver {
  @FieldResolver(() => [CreditContribution], { description: 'How each credit record moved the score, largest first: the explanation of the score.' })
  contributions(@Root() profile: CreditProfile, @Ctx() ctx: RequestContext) {
    return ctx.services.credit.contributions(profile.enterpriseId, profile.asOf);
  }
}
