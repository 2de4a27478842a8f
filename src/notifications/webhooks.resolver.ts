import { Arg, Args, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../common/context';
import { toGlobalId } from '../common/global-id';
import { ConnectionArgs, pageRequest } from '../common/pagination';
import { toPayload } from '../common/payload';
import {
  RegisterWebhookEndpointInput,
  RegisterWebhookEndpointPayload,
  WebhookDeliveryConnection,
  WebhookEndpoint,
} from './webhooks.types';
import type { WebhookEndpointRow } from './webhooks';

type EndpointObject = WebhookEndpointRow & { databaseId: string };
const asObject = (row: WebhookEndpointRow): EndpointObject => ({
  ...row,
  databaseId: row.id,
  id: toGlobalId('WebhookEndpoint', row.id),
});

@Resolver(() => WebhookEndpoint)
export class WebhooksResolver {
  @Mutation(() => RegisterWebhookEndpointPayload, {
    description: 'Webhooks: POST the chosen events to an https endpoint, signed (institution admins).',
  })
  async registerWebhookEndpoint(
    @Arg('input', () => RegisterWebhookEndpointInput) input: RegisterWebhookEndpointInput,
    @Ctx() ctx: RequestContext,
  ) {
    const payload = await toPayload('registered', () => ctx.services.webhooks.register(ctx.actor, input));
    const registered = payload.registered as { endpoint: WebhookEndpointRow; secret: string } | null;
    return {
      webhookEndpoint: registered && asObject(registered.endpoint),
      secret: registered?.secret ?? null,
      userErrors: payload.userErrors,
    };
  }

  @Query(() => [WebhookEndpoint], { description: "Your institution's webhook endpoints (institution admins)." })
  async webhookEndpoints(@Ctx() ctx: RequestContext) {
    return (await ctx.services.webhooks.endpoints(ctx.actor)).map(asObject);
  }

  @FieldResolver(() => WebhookDeliveryConnection, { description: 'The delivery log: attempts, status codes, retries.' })
  deliveries(
    @Root() endpoint: EndpointObject,
    @Args(() => ConnectionArgs, { validate: false }) args: ConnectionArgs,
    @Ctx() ctx: RequestContext,
  ) {
    return ctx.services.webhooks.deliveries(ctx.actor, endpoint.databaseId, pageRequest(args));
  }
}
