import { Arg, Args, Ctx, FieldResolver, Mutation, Resolver, Root } from 'type-graphql';
import { RequestContext } from '../common/context';
import { ConnectionArgs, toConnection, pageRequest } from '../common/pagination';
import { Enterprise } from '../enterprise/enterprise.entity';
import { CreditRecord } from './credit-record.entity';
import { CreditRecordConnection, ImportCreditRecordsInput, ImportCreditRecordsPayload } from './credit.types';

@Resolver(() => Enterprise)
export class CreditResolver {
  @Mutation(() => ImportCreditRecordsPayload, { description: '导入信用记录 — import credit records from a government source (operators). Idempotent by source and reference.' })
  importCreditRecords(@Arg('input', () => ImportCreditRecordsInput) input: ImportCreditRecordsInput, @Ctx() ctx: RequestContext) {
    return ctx.services.credit.importCreditRecords(ctx.actor, input.records);
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
