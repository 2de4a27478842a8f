import { GraphQLObjectType, GraphQLSchema, lexicographicSortSchema, printSchema } from 'graphql';
import { buildSchemaSync } from 'type-graphql';
import { toGlobalId } from './common/global-id';
import { NodeResolver } from './common/node.resolver';
import { AuditActorResolver, AuthResolver } from './auth/auth.resolver';
import { StaffInvitationResolver } from './auth/staff-invitation.resolver';
import { AnalyticsResolver } from './analytics/analytics.resolver';
import { UserAccount } from './auth/user-account.entity';
import { EnterpriseResolver } from './enterprise/enterprise.resolver';
import { CreditAuthorizationResolver, CreditProfileResolver, CreditResolver } from './credit/credit.resolver';
import {
  FinancingRequestMatchingResolver,
  LoanProductMatchingResolver,
  ProductFitResolver,
} from './matching/matching.resolver';
import { InstitutionResolver } from './institution/institution.resolver';
import { CalendarResolver } from './calendar/calendar.resolver';
import { LoanProductResolver } from './product/loan-product.resolver';
import { FinancingRequestResolver } from './financing/financing-request.resolver';
import {
  ApplicationEventResolver,
  ApplicationResolver,
  CreditGrantResolver,
  DisbursementResolver,
  FinancingRequestApplicationsResolver,
} from './lending/lending.resolver';
import { Enterprise } from './enterprise/enterprise.entity';
import { CreditRecord } from './credit/credit-record.entity';
import { Institution } from './institution/institution.entity';
import { LoanProduct } from './product/loan-product.entity';
import { FinancingRequest } from './financing/financing-request.entity';
import { Application } from './lending/application.entity';
import { ApplicationEvent } from './lending/application-event.entity';
import { CreditGrant } from './lending/credit-grant.entity';
import { Disbursement } from './lending/disbursement.entity';
import { NotificationsResolver } from './notifications/notifications.resolver';
import { WebhooksResolver } from './notifications/webhooks.resolver';

let schema: GraphQLSchema | undefined;

/**
 * Object types are declared with `simpleResolvers: true`: a plain field is then read from the
 * object by graphql-jit inline, where type-graphql would wrap each one in a resolver that runs the
 * (unused) middleware stack for every field read. A field whose value is a promise
 * (`totalCount`) keeps a resolver (`simple: false`): graphql-jit awaits only what a resolver returns.
 */
export function buildAppSchema(): GraphQLSchema {
  schema ??= build();
  return schema;
}

function build(): GraphQLSchema {
  const built = buildSchemaSync({
    resolvers: [
      NodeResolver,
      AuthResolver,
      AuditActorResolver,
      StaffInvitationResolver,
      AnalyticsResolver,
      EnterpriseResolver,
      CreditResolver,
      CreditProfileResolver,
      CreditAuthorizationResolver,
      FinancingRequestMatchingResolver,
      LoanProductMatchingResolver,
      ProductFitResolver,
      InstitutionResolver,
      CalendarResolver,
      LoanProductResolver,
      FinancingRequestResolver,
      FinancingRequestApplicationsResolver,
      ApplicationResolver,
      ApplicationEventResolver,
      CreditGrantResolver,
      DisbursementResolver,
      NotificationsResolver,
      WebhooksResolver,
    ],
    // Every subscription has its own subscribe function (the outbox's live feed); type-graphql still
    // asks for a publish/subscribe engine, which is never used.
    pubSub: {
      publish: () => undefined,
      subscribe: () => {
        throw new Error('Subscriptions read the outbox (src/notifications/live-feed.ts)');
      },
    },
    orphanedTypes: [
      UserAccount,
      Enterprise,
      CreditRecord,
      Institution,
      LoanProduct,
      FinancingRequest,
      Application,
      ApplicationEvent,
      CreditGrant,
      Disbursement,
    ],
    // Validation errors must not carry the input back: no `target`, no `value`.
    validate: { forbidUnknownValues: false, validationError: { target: false, value: false } },
    emitSchemaFile: false,
  });
  built.getQueryType()!.description =
    'Reads: the marketplace seen by the signed-in actor (what it may not see answers as missing).';
  built.getMutationType()!.description =
    'Writes: each takes one `input` and returns a payload with its result and `userErrors`.';
  // A Node's `id` is type-graphql's resolver around the `globalId` getter, which runs its middleware
  // chain and converts the object on every call, once per object of a page: replaced by a plain
  // function giving the same global ID (test/schema-and-migrations.test.ts compares the two).
  for (const type of Object.values(built.getTypeMap())) {
    if (!(type instanceof GraphQLObjectType) || !type.getInterfaces().some((node) => node.name === 'Node')) continue;
    const typeName = type.name;
    type.getFields().id.resolve = (source: { id: string }) => toGlobalId(typeName, source.id);
  }
  built.getSubscriptionType()!.description =
    'Pushes over WebSocket (graphql-ws on /graphql, the bearer token in connectionParams.authorization).';
  return built;
}

/** The checked-in SDL (graphql/schema.graphql): sorted, so diffs are about content only. */
export function printAppSchema(): string {
  return `${printSchema(lexicographicSortSchema(buildAppSchema()))}\n`;
}
