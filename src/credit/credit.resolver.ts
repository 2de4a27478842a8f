import { Arg, Args, Ctx, FieldResolver, Mutation, Resolver, Root } from 'type-graphql';
import { entityReader } from '../common/database/entity-reader';
import { RequestContext, recordDetailsVisible } from '../common/context';
import { ConnectionArgs, emptyConnection, pageRequest } from '../common/pagination';
import { Enterprise, EnterpriseVerificationStatus } from '../enterprise/enterprise.entity';
import { CreditRecord } from './credit-record.entity';
import { CONTRIBUTION_KEYSET, CreditContribution } from './credit.service';
import {
  CreditAuthorizationConnection,
  CreditContributionConnection,
  CreditRecordConnection,
  ImportCreditRecordsInput,
  ImportCreditRecordsPayload,
} from './credit.types';
import { CreditFlag, CreditProfile } from './credit-profile.entity';
import { CreditAuthorization } from './credit-authorization.entity';
import { InstitutionAuthorizationInput } from './credit.types';
import { expectGlobalId } from '../common/global-id';
import { PayloadType, toPayload, withUserErrors } from '../common/payload';
import { Institution } from '../institution/institution.entity';

export const CreditAuthorizationPayload = PayloadType(
  'CreditAuthorization',
  'creditAuthorization',
  () => CreditAuthorization,
  'Result of an authorisation change.',
);

@Resolver(() => Enterprise)
export class CreditResolver {
  @Mutation(() => ImportCreditRecordsPayload, {
    description:
      '导入信用记录 — import credit records from a government source (operators). Idempotent by source and reference.',
  })
  importCreditRecords(
    @Arg('input', () => ImportCreditRecordsInput) input: ImportCreditRecordsInput,
    @Ctx() ctx: RequestContext,
  ) {
    const records = input.records as unknown as Array<Record<string, unknown>>;
    return withUserErrors(() => ctx.services.credit.importCreditRecords(ctx.actor, records), {
      imported: 0,
      duplicates: 0,
      rejected: [],
      rescored: 0,
    });
  }

  @Mutation(() => CreditAuthorizationPayload, {
    description: '信用授权 — the enterprise lets an institution see its credit record details.',
  })
  authorizeInstitution(
    @Arg('input', () => InstitutionAuthorizationInput) input: InstitutionAuthorizationInput,
    @Ctx() ctx: RequestContext,
  ) {
    const institutionId = expectGlobalId(input.institutionId, 'Institution', 'institutionId');
    return toPayload('creditAuthorization', () => ctx.services.credit.authorizeInstitution(ctx.actor, institutionId));
  }

  @Mutation(() => CreditAuthorizationPayload, {
    description: 'The enterprise withdraws an institution’s access to its credit record details.',
  })
  revokeInstitutionAuthorization(
    @Arg('input', () => InstitutionAuthorizationInput) input: InstitutionAuthorizationInput,
    @Ctx() ctx: RequestContext,
  ) {
    const institutionId = expectGlobalId(input.institutionId, 'Institution', 'institutionId');
    return toPayload('creditAuthorization', () =>
      ctx.services.credit.revokeInstitutionAuthorization(ctx.actor, institutionId),
    );
  }

  @FieldResolver(() => CreditAuthorizationConnection, {
    description: 'Institutions this enterprise authorised (own enterprise and operators only; empty for others).',
  })
  creditAuthorizations(
    @Root() enterprise: Enterprise,
    @Args(() => ConnectionArgs, { validate: false }) args: ConnectionArgs,
    @Ctx() ctx: RequestContext,
  ) {
    const page = pageRequest(args, 'CreditAuthorization');
    const own =
      (ctx.actor.kind === 'ENTERPRISE' && ctx.actor.enterpriseId === enterprise.id) || ctx.actor.kind === 'OPERATOR';
    if (!own) return emptyConnection<CreditAuthorization>(page);
    const credit = ctx.services.credit;
    return ctx.loaders.pagedConnection(
      'creditAuthorizations',
      enterprise.id,
      page,
      (ids) => credit.authorizationPages(ids, page),
      (ids) => credit.countAuthorizations(ids),
      (row) => [row.institutionId],
    );
  }

  @FieldResolver(() => CreditProfile, {
    nullable: true,
    description: '信用画像 — score (0–1000), grade and flags under the current scoring model.',
  })
  creditProfile(@Root() enterprise: Enterprise, @Ctx() ctx: RequestContext) {
    // An unverified registration has no credit standing of its own to show (实名认证 first).
    if (enterprise.verificationStatus !== EnterpriseVerificationStatus.VERIFIED) return null;
    return ctx.loaders
      .keyed<string, CreditProfile | null>('creditProfileByEnterprise', async (enterpriseIds) => {
        const profiles = await entityReader(ctx.dataSource, CreditProfile).where(
          'profile',
          'profile.enterprise_id = ANY(:ids)',
          { ids: [...enterpriseIds] },
        );
        const byEnterprise = new Map(profiles.map((profile) => [profile.enterpriseId, profile]));
        return enterpriseIds.map((id) => byEnterprise.get(id) ?? null);
      })
      .load(enterprise.id);
  }

  @FieldResolver(() => CreditRecordConnection, {
    description:
      'Credit record details (信用记录). ' +
      'Empty unless the actor is the enterprise, an operator, or an institution it authorises now.',
  })
  async creditRecords(
    @Root() enterprise: Enterprise,
    @Args(() => ConnectionArgs, { validate: false }) args: ConnectionArgs,
    @Ctx() ctx: RequestContext,
  ) {
    const verified = enterprise.verificationStatus === EnterpriseVerificationStatus.VERIFIED;
    if (!verified || !(await recordDetailsVisible(ctx, enterprise.id))) {
      return emptyConnection<CreditRecord>(pageRequest(args, 'CreditRecord'));
    }
    return ctx.loaders.childConnection(CreditRecord, 'enterpriseId', enterprise.id, args);
  }
}

@Resolver(() => CreditProfile)
export class CreditProfileResolver {
  @FieldResolver(() => CreditContributionConnection, {
    nullable: true,
    description:
      'How each credit record moved the score, largest first: the explanation of the score. ' +
      'Null unless the actor sees the record details.',
  })
  async contributions(
    @Root() profile: CreditProfile,
    @Args(() => ConnectionArgs, { validate: false }) args: ConnectionArgs,
    @Ctx() ctx: RequestContext,
  ) {
    const page = pageRequest(args, CONTRIBUTION_KEYSET);
    if (!(await recordDetailsVisible(ctx, profile.enterpriseId))) return null;
    const credit = ctx.services.credit;
    return ctx.loaders.pagedConnection<CreditProfile, CreditContribution>(
      'contributions',
      profile,
      page,
      (profiles) => credit.contributionPages(profiles, page),
      (profiles) => credit.countContributions(profiles),
      (row) => [String(Math.abs(row.points)), row.recordId],
    );
  }

  @FieldResolver(() => [CreditFlag], {
    nullable: true,
    description:
      'Active listings raised by credit records. ' +
      'Null unless the actor sees the record details (then empty means none).',
  })
  async flags(@Root() profile: CreditProfile, @Ctx() ctx: RequestContext) {
    return (await recordDetailsVisible(ctx, profile.enterpriseId)) ? profile.flags : null;
  }
}

@Resolver(() => CreditAuthorization)
export class CreditAuthorizationResolver {
  @FieldResolver(() => Institution, { description: 'The institution that may see the credit details.' })
  institution(@Root() authorization: CreditAuthorization, @Ctx() ctx: RequestContext) {
    return ctx.loaders.byId(Institution).load(authorization.institutionId);
  }
}
