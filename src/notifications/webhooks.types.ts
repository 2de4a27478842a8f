import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { ConnectionType, MaxItems } from '../common/pagination';
import { MAX_USER_ERRORS, PayloadType, UserError } from '../common/payload';
import { LiveEventType } from './notifications.types';

@ObjectType({ simpleResolvers: true, description: 'One attempt to deliver a webhook.' })
export class WebhookAttempt {
  @Field(() => Date, { description: 'When the attempt was made.' })
  at: Date;

  @Field(() => Int, { nullable: true, description: "The receiver's HTTP status; null when no answer came." })
  statusCode: number | null;

  @Field(() => String, { nullable: true, description: 'Why no answer came (refused, timed out, address not allowed).' })
  error: string | null;
}

@ObjectType({ simpleResolvers: true, description: 'One event sent (or to be sent) to a webhook endpoint.' })
export class WebhookDelivery {
  @Field(() => ID, { description: 'The delivery (not global: it is only listed under its endpoint).' })
  id: string;

  @Field(() => ID, { description: 'The event id, also sent as the webhook-id header: receivers de-duplicate by it.' })
  eventId: string;

  @Field(() => LiveEventType, { description: 'The event sent.' })
  eventType: string;

  @Field(() => String, { description: 'PENDING (retried), DELIVERED or FAILED (retry period over).' })
  status: string;

  @Field(() => Int, { description: 'Attempts made so far.' })
  attempts: number;

  @Field(() => [WebhookAttempt], { description: 'Every attempt, oldest first.' })
  attemptLog: WebhookAttempt[];

  @Field(() => Date, { nullable: true, description: 'When the next retry is due; null once delivered or failed.' })
  nextAttemptAt: Date | null;

  @Field(() => Date, { nullable: true, description: 'When the receiver answered 2xx.' })
  deliveredAt: Date | null;
}

export const WebhookDeliveryConnection = ConnectionType(
  WebhookDelivery,
  'WebhookDelivery',
  'A page of the delivery log, oldest first.',
);

@ObjectType({ description: "An institution's webhook endpoint: its events are POSTed there, signed." })
export class WebhookEndpoint {
  @Field(() => ID, { description: 'ID of the WebhookEndpoint.' })
  id: string;

  @Field(() => String, { description: 'Where the events are POSTed.' })
  url: string;

  @Field(() => [LiveEventType], { description: 'The events sent there.' })
  eventTypes: string[];

  @Field(() => String, {
    description:
      'ACTIVE, or DISABLED after failing for too long (reactivateWebhookEndpoint once the receiver is back).',
  })
  status: string;

  @Field(() => String, { nullable: true, description: 'Why it was disabled; null while active.' })
  disabledReason: string | null;

  @Field(() => Date, { description: 'When it was registered: events from then on are sent.' })
  createdAt: Date;
}

export const WebhookEndpointConnection = ConnectionType(
  WebhookEndpoint,
  'WebhookEndpoint',
  "A page of the institution's webhook endpoints, oldest first.",
);

@InputType({ description: 'Register a webhook endpoint of your institution (institution admins).' })
export class RegisterWebhookEndpointInput {
  @Field(() => String, { description: 'An https URL on a public address.' })
  url: string;

  @Field(() => [LiveEventType], { description: 'The events to send there.' })
  eventTypes: string[];
}

@InputType({ description: 'A new signing secret for an endpoint; the old one keeps signing for the overlap.' })
export class RotateWebhookSecretInput {
  @Field(() => ID, { description: 'ID of the WebhookEndpoint.' })
  webhookEndpointId: string;

  @Field(() => Int, { defaultValue: 24, description: 'Hours the previous secret still signs (0 to 168).' })
  overlapHours: number;
}

@InputType({ description: 'Send to a disabled endpoint again (institution admins).' })
export class ReactivateWebhookEndpointInput {
  @Field(() => ID, { description: 'ID of the WebhookEndpoint.' })
  webhookEndpointId: string;
}

export const ReactivateWebhookEndpointPayload = PayloadType(
  'ReactivateWebhookEndpoint',
  'webhookEndpoint',
  () => WebhookEndpoint,
  'Result of reactivateWebhookEndpoint: the endpoint, ACTIVE again.',
);

@ObjectType({
  simpleResolvers: true,
  description: 'Result of registerWebhookEndpoint and rotateWebhookSecret: the endpoint and its secret, shown once.',
})
export class WebhookSecretPayload {
  @Field(() => WebhookEndpoint, { nullable: true, description: 'The endpoint; null when refused (see userErrors).' })
  webhookEndpoint: WebhookEndpoint | null;

  @Field(() => String, {
    nullable: true,
    description: 'The signing secret: shown here once, never again. Verify the webhook-signature header with it.',
  })
  secret: string | null;

  @Field(() => [UserError], { description: 'Empty when the mutation succeeded.' })
  @MaxItems(MAX_USER_ERRORS)
  userErrors: UserError[];
}
