import { Field, ID, ObjectType, registerEnumType } from 'type-graphql';
import { OUTBOX_EVENT_TYPES } from './outbox';

export const LiveEventType = Object.fromEntries(OUTBOX_EVENT_TYPES.map((type) => [type, type])) as {
  [T in (typeof OUTBOX_EVENT_TYPES)[number]]: T;
};
const described: Record<(typeof OUTBOX_EVENT_TYPES)[number], string> = {
  REQUEST_POSTED: 'An enterprise posted a financing need (发布融资需求).',
  REQUEST_MATCHED: "An open need newly fits one of the institution's products.",
  APPLICATION_SUBMITTED: 'An enterprise applied to a product (申请).',
  APPLICATION_CLAIMED: 'An institution claimed a need for one of its products (抢单).',
  APPLICATION_ACCEPTED: 'The institution accepted the application (受理).',
  APPLICATION_DECLINED: 'The institution declined the application (拒绝).',
  APPLICATION_WITHDRAWN: 'The enterprise withdrew the application, or its need (撤回).',
  APPLICATION_EXPIRED: 'The response deadline passed without an acceptance.',
  CREDIT_GRANT_MADE: 'Credit was granted (授信).',
  CREDIT_GRANT_PENDING_APPROVAL: 'A grant above the four-eyes threshold waits for a second staff member.',
  CREDIT_GRANT_APPROVED: 'A second staff member approved the grant (复核).',
  TRANCHE_DISBURSED: 'A tranche was paid out (放款).',
  ENTERPRISE_VERIFIED: 'The operator or the identity service verified the enterprise (实名认证).',
  WEBHOOK_ENDPOINT_DISABLED: 'A webhook endpoint of the institution failed for too long and was disabled.',
};
registerEnumType(LiveEventType, {
  name: 'LiveEventType',
  description: 'What happened: one business event of the marketplace, as written to the outbox with its change.',
  valuesConfig: Object.fromEntries(Object.entries(described).map(([name, description]) => [name, { description }])),
});

@ObjectType({
  description:
    'One business event pushed to a subscriber: the global IDs of what it concerns (query them for details). ' +
    'Pass the last `eventId` seen as `after:` when subscribing again to get what was missed, once each.',
})
export class LiveEvent {
  @Field(() => ID, { description: 'The event id: resume after it with `after:`.' })
  eventId: string;

  @Field(() => LiveEventType, { description: 'What happened.' })
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
