import { Arg, Ctx, ID, Resolver, Root, Subscription } from 'type-graphql';
import type { Actor } from '../common/actor';
import type { RequestContext } from '../common/context';
import { BadInputError, ForbiddenError, UnauthenticatedError } from '../common/errors';
import { expectGlobalId, toGlobalId } from '../common/global-id';
import { PlatformStats, StatsFilter } from '../analytics/analytics.types';
import { LiveEvent } from './notifications.types';
import { EventQueue, LiveFeed } from './live-feed';
import type { OutboxEvent, OutboxEventType } from './outbox';

const AFTER = 'The last eventId received: what came after it is sent first.';

/** What a subscription's context carries beside the request's: this process's live feed. */
export type SubscriptionContext = RequestContext & { liveFeed: LiveFeed };

/** Analysts get at most one statistics push a second, however many events arrive. */
export const STATS_THROTTLE_MS = 1000;

function afterEventId(after: string | null | undefined): string | null {
  if (after === null || after === undefined) return null;
  if (!/^[1-9]\d{0,17}$/.test(after)) {
    throw new BadInputError('after must be the eventId of an event received', 'after');
  }
  return after;
}

function requireSignedIn(actor: Actor): void {
  if (actor.kind === 'ANONYMOUS') {
    throw new UnauthenticatedError('Sign in first: subscriptions need a signed-in account');
  }
}

/** The events of applications the actor sees: its institution's, or its own enterprise's. */
function applicationEventsOf(actor: Actor): (event: OutboxEvent) => boolean {
  const concernsApplication = (event: OutboxEvent) => 'applicationId' in event.payload;
  switch (actor.kind) {
    case 'INSTITUTION':
      return (event) => concernsApplication(event) && event.institutionId === actor.institutionId;
    case 'ENTERPRISE':
      return (event) => concernsApplication(event) && event.enterpriseId === actor.enterpriseId;
    default:
      throw new ForbiddenError('Only institution staff and enterprises subscribe to application updates');
  }
}

export function toLiveEvent(event: OutboxEvent): LiveEvent {
  return { eventId: event.id, type: event.type, occurredAt: new Date(event.occurredAt), ...event.payload };
}

@Resolver()
export class NotificationsResolver {
  @Subscription(() => LiveEvent, {
    description:
      "Changes to applications: staff get their institution's, an enterprise its own (submitted, claimed, accepted, " +
      'declined, withdrawn, expired, credit granted or waiting for approval, tranches). `after:` resumes.',
    subscribe: ({ args, context }) => {
      const ctx = context as SubscriptionContext;
      requireSignedIn(ctx.actor);
      return ctx.liveFeed.subscribe(applicationEventsOf(ctx.actor), afterEventId(args.after));
    },
  })
  applicationUpdated(
    @Root() event: OutboxEvent,
    @Arg('after', () => ID, { nullable: true, description: AFTER })
    _after: string | null,
  ): LiveEvent {
    return toLiveEvent(event);
  }

  @Subscription(() => LiveEvent, {
    description:
      "抢单 — open financing needs newly fitting one of the staff's institution's products (or the one given). " +
      '`after:` resumes.',
    subscribe: ({ args, context }) => {
      const { actor, liveFeed } = context as SubscriptionContext;
      requireSignedIn(actor);
      if (actor.kind !== 'INSTITUTION') throw new ForbiddenError('Only institution staff subscribe to matching needs');
      const product = args.loanProductId ? expectGlobalId(args.loanProductId, 'LoanProduct', 'loanProductId') : null;
      const productId = product && toGlobalId('LoanProduct', product);
      const type: OutboxEventType = 'REQUEST_MATCHED';
      return liveFeed.subscribe(
        (event) =>
          event.type === type &&
          event.institutionId === actor.institutionId &&
          (productId === null || event.payload.loanProductId === productId),
        afterEventId(args.after),
      );
    },
  })
  matchingRequestPosted(
    @Root() event: OutboxEvent,
    @Arg('loanProductId', () => ID, { nullable: true, description: 'Only needs fitting this product of its own.' })
    _loanProductId: string | null,
    @Arg('after', () => ID, { nullable: true, description: AFTER })
    _after: string | null,
  ): LiveEvent {
    return toLiveEvent(event);
  }

  @Subscription(() => PlatformStats, {
    description:
      '平台统计 as it changes (analysts and operators): the platformStats answer again after platform events, ' +
      'at most once a second.',
    subscribe: ({ context }) => {
      const { actor, liveFeed } = context as SubscriptionContext;
      requireSignedIn(actor);
      if (actor.kind !== 'ANALYST' && actor.kind !== 'OPERATOR') {
        throw new ForbiddenError('Platform statistics are for analysts and operators');
      }
      return throttled(
        liveFeed.subscribe((event) => event.platform, null),
        STATS_THROTTLE_MS,
      );
    },
  })
  platformStatsChanged(
    @Arg('filter', () => StatsFilter, { nullable: true }) filter: StatsFilter | null,
    @Ctx() ctx: SubscriptionContext,
  ) {
    const institutionId = filter?.institutionId
      ? expectGlobalId(filter.institutionId, 'Institution', 'filter.institutionId')
      : null;
    return ctx.services.analytics.platformStats(ctx.actor, { ...filter, institutionId });
  }
}

/**
 * One tick for any number of events within `ms` of the last tick: the first event of a quiet
 * period is pushed at once, later ones wait for the period to end and are then pushed as one.
 */
function throttled(events: EventQueue<OutboxEvent>, ms: number): AsyncIterableIterator<OutboxEvent> {
  let lastTick = 0;
  let pending: NodeJS.Timeout | null = null;
  let latest: OutboxEvent | null = null;
  const ticks = new EventQueue<OutboxEvent>(() => {
    if (pending) clearTimeout(pending);
    void events.return();
  });
  const tick = () => {
    pending = null;
    lastTick = Date.now();
    ticks.push(latest!);
  };
  void (async () => {
    for await (const event of events) {
      latest = event;
      if (pending) continue;
      pending = setTimeout(tick, Math.max(0, lastTick + ms - Date.now()));
    }
  })().catch((error) => ticks.fail(error));
  return ticks;
}
