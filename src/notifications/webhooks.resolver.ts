import { Arg, Args, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../common/context';
import { expectGlobalId, toGlobalId } from '../common/global-id';
import { ConnectionArgs, PageRequest, pageRequest, toConnection } from '../common/pagination';
import { toPayload } from '../common/payload';
import {
  RegisterWebhookEndpointInput,
  RotateWebhookSecretInput,
  WebhookDeliveryConnection,
  WebhookEndpoint,
  WebhookSecretPayload,
} from './webhooks.types';
import type { WebhookDeliveryRow, WebhookEndpointRow } from './webhooks';

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
    description: "A new signing secret (institution admins); the old one also signs during the overlap.",
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
    const page = pageRequest(args);
    return deliveryPageLoader(ctx, page)
      .load(endpoint.databaseId)
      .then((rows) => toConnection(rows, page, () => deliveryCountLoader(ctx).load(endpoint.databaseId)));
  }
}

/* The per-request loaders of `deliveries`, apart from its arguments' parsing: one statement per page asked. */
const deliveryPageLoader = (ctx: RequestContext, page: PageRequest) =>
  ctx.loaders.keyed<string, WebhookDeliveryRow[]>(
    `webhookDeliveries:${page.limit}:${page.afterId ?? ''}`,
    (endpointIds) => ctx.services.webhooks.deliveryPages(ctx.actor, endpointIds, page),
  );

const deliveryCountLoader = (ctx: RequestContext) =>
  ctx.loaders.keyed<string, number>('webhookDeliveryCount', (endpointIds) =>
    ctx.services.webhooks.countDeliveries(ctx.actor, endpointIds),
  );
