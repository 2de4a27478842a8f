import { Arg, Args, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../common/context';
import { expectGlobalId, toGlobalId } from '../common/global-id';
import { ConnectionArgs, pageRequest, toConnection } from '../common/pagination';
import { toPayload } from '../common/payload';
import {
  ReactivateWebhookEndpointInput,
  ReactivateWebhookEndpointPayload,
  RegisterWebhookEndpointInput,
  RotateWebhookSecretInput,
  WebhookDeliveryConnection,
  WebhookEndpoint,
  WebhookEndpointConnection,
  WebhookSecretPayload,
} from './webhooks.types';
import type { WebhookEndpointRow } from './webhooks';

type EndpointObject = WebhookEndpointRow & { databaseId: string };
const asObject = (row: WebhookEndpointRow): EndpointObject => ({
  ...row,
  databaseId: row.id,
  id: toGlobalId('WebhookEndpoint', row.id),
});

async function secretPayload(run: () => Promise<{ endpoint: WebhookEndpointRow; secret: string }>) {
  const payload = await toPayload('result', run);
  const result = payload.result as { endpoint: WebhookEndpointRow; secret: string } | null;
  const webhookEndpoint = result && asObject(result.endpoint);
  return { webhookEndpoint, secret: result?.secret ?? null, userErrors: payload.userErrors };
}

@Resolver(() => WebhookEndpoint)
export class WebhooksResolver {
  @Mutation(() => WebhookSecretPayload, {
    description: 'Webhooks: POST the chosen events to an https endpoint, signed (institution admins).',
  })
  registerWebhookEndpoint(
    @Arg('input', () => RegisterWebhookEndpointInput) input: RegisterWebhookEndpointInput,
    @Ctx() ctx: RequestContext,
  ) {
    return secretPayload(() => ctx.services.webhooks.register(ctx.actor, input));
  }

  @Mutation(() => WebhookSecretPayload, {
    description: 'A new signing secret (institution admins); the old one also signs during the overlap.',
  })
  rotateWebhookSecret(
    @Arg('input', () => RotateWebhookSecretInput) input: RotateWebhookSecretInput,
    @Ctx() ctx: RequestContext,
  ) {
    const endpointId = expectGlobalId(input.webhookEndpointId, 'WebhookEndpoint', 'webhookEndpointId');
    return secretPayload(() =>
      ctx.services.webhooks.rotateSecret(ctx.actor, { endpointId, overlapHours: input.overlapHours }),
    );
  }

  @Mutation(() => ReactivateWebhookEndpointPayload, {
    description: 'Sends to an endpoint disabled after failing for too long again, once its receiver is back.',
  })
  reactivateWebhookEndpoint(
    @Arg('input', () => ReactivateWebhookEndpointInput) input: ReactivateWebhookEndpointInput,
    @Ctx() ctx: RequestContext,
  ) {
    const endpointId = expectGlobalId(input.webhookEndpointId, 'WebhookEndpoint', 'webhookEndpointId');
    return toPayload('webhookEndpoint', async () =>
      asObject(await ctx.services.webhooks.reactivate(ctx.actor, endpointId)),
    );
  }

  @Query(() => WebhookEndpointConnection, { description: "Your institution's webhook endpoints (institution admins)." })
  async webhookEndpoints(
    @Args(() => ConnectionArgs, { validate: false }) args: ConnectionArgs,
    @Ctx() ctx: RequestContext,
  ) {
    const page = pageRequest(args, 'WebhookEndpoint');
    const rows = await ctx.services.webhooks.endpoints(ctx.actor, page);
    const count = () => ctx.services.webhooks.countEndpoints(ctx.actor);
    return toConnection(rows.map(asObject), page, count, (endpoint) => [endpoint.databaseId]);
  }

  @FieldResolver(() => WebhookDeliveryConnection, { description: 'The delivery log: attempts, status codes, retries.' })
  deliveries(
    @Root() endpoint: EndpointObject,
    @Args(() => ConnectionArgs, { validate: false }) args: ConnectionArgs,
    @Ctx() ctx: RequestContext,
  ) {
    const page = pageRequest(args, 'WebhookDelivery');
    const webhooks = ctx.services.webhooks;
    return ctx.loaders.pagedConnection(
      'webhookDeliveries',
      endpoint.databaseId,
      page,
      (endpointIds) => webhooks.deliveryPages(ctx.actor, endpointIds, page),
      (endpointIds) => webhooks.countDeliveries(ctx.actor, endpointIds),
    );
  }
}
