import { Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { OUTBOX_EVENT_TYPES } from './outbox';

export const LiveEventType = Object.fromEntries(OUTBOX_EVENT_TYPES.map((type) => [type, type])) as {
  [T in (typeof OUTBOX_EVENT_TYPES)[number]]: T;
};
registerEnumType(LiveEventType, {
  name: 'LiveEventType',
  description: 'What happened: one business event of the marketplace, as written to the outbox with its change.',
});

@ObjectType({
  description:
    'One business event pushed to a subscriber: the global IDs of what it concerns (query them for details). ' +
    'Pass the last `eventId` seen as `after:` when subscribing again to get what was missed, once each.',
})
export class LiveEvent {
  @Field(() => ID, { description: 'The event id: resume after it with `after:`.' })
  eventId: string;

  @Field(() => LiveEventType)
  type: string;

  @Field(() => Date, { description: 'When the change was made.' })
  occurredAt: Date;

  @Field(() => ID, { nullable: true, description: 'ID of the Application (application, credit, tranche events).' })
  applicationId?: string | null;

  @Field(() => ID, { nullable: true, description: 'ID of the FinancingRequest concerned.' })
  financingRequestId?: string | null;

  @Field(() => ID, { nullable: true, description: 'ID of the LoanProduct concerned.' })
  loanProductId?: string | null;

  @Field(() => ID, { nullable: true, description: 'ID of the CreditGrant, for credit and tranche events.' })
  creditGrantId?: string | null;

  @Field(() => ID, { nullable: true, description: 'ID of the Disbursement, for TRANCHE_DISBURSED.' })
  disbursementId?: string | null;

  @Field(() => ID, { nullable: true, description: 'ID of the Enterprise, for ENTERPRISE_VERIFIED.' })
  enterpriseId?: string | null;

  @Field(() => ID, { nullable: true, description: 'ID of the WebhookEndpoint, for WEBHOOK_ENDPOINT_DISABLED.' })
  webhookEndpointId?: string | null;
}
