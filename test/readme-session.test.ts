import fs from 'node:fs';
import path from 'node:path';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { startTestApp, TestApp } from './support/app';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app?.close();
});

/** The README's example session: each step's GraphQL block and the X-Actor its text names. */
function exampleSession(): Array<{ actor: string | undefined; document: string }> {
  const readme = fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');
  const section = readme.slice(
    readme.indexOf('## Example session'),
    readme.indexOf('\n## ', readme.indexOf('## Example session') + 5),
  );
  const steps: Array<{ actor: string | undefined; document: string }> = [];
  const pattern = /(?:^|\n)(\d+\.[^\n]*(?:\n(?!```)[^\n]*)*)\n\n```graphql\n([\s\S]*?)```/g;
  for (const [, prose, document] of section.matchAll(pattern)) {
    steps.push({ actor: /X-Actor: ([^`]+)`/.exec(prose)?.[1], document });
  }
  return steps;
}

/** The README's subscription, run with the connection parameter its text names (`x-actor`). */
async function subscribeAsOfficer(institutionId: string) {
  const readme = fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');
  const query = /```graphql-ws\n([\s\S]*?)```/.exec(readme)![1];
  let connected: () => void = () => undefined;
  const acknowledged = new Promise<void>((resolve) => (connected = resolve));
  const client = createClient({
    url: app.url.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    connectionParams: { 'x-actor': institutionId },
    retryAttempts: 0,
    lazy: false,
    on: { connected: () => connected() },
  });
  const received: any[] = [];
  const next = ({ data }: { data?: any }) => received.push(data?.matchingRequestPosted);
  client.subscribe({ query }, { next, error: () => undefined, complete: () => undefined });
  // Acknowledged, and the subscription (sent right after the acknowledgement) registered, before the need is posted.
  await acknowledged;
  await new Promise((resolve) => setTimeout(resolve, 500));
  return {
    async next(withinMs: number) {
      const end = Date.now() + withinMs;
      while (received.length === 0 && Date.now() < end) await new Promise((resolve) => setTimeout(resolve, 10));
      return received[0];
    },
    stop: () => client.dispose(),
  };
}

describe('README example session', () => {
  it('works when pasted step by step, as a new user would', async () => {
    const steps = exampleSession();
    expect(steps).toHaveLength(12);
    const ids: Record<string, string> = {};
    const fill = (text: string) => text.replace(/<([A-Z_]+_ID)>/g, (_, name) => ids[name] ?? `missing ${name}`);
    const run = async (document: string, actor: string | undefined) => {
      const response = await app.gql(fill(document), {}, actor ? fill(actor) : undefined);
      expect(response.errors).toBeUndefined();
      const payload = Object.values(response.data)[0] as any;
      if (payload && 'userErrors' in payload) expect(payload.userErrors).toEqual([]);
      return payload;
    };

    const registered = (await run(steps[0].document, steps[0].actor)).enterprise;
    expect(registered.verificationStatus).toBe('PENDING');
    ids.ENTERPRISE_ID = registered.id;
    expect((await run(steps[1].document, steps[1].actor)).enterprise.verificationStatus).toBe('VERIFIED');
    const onboarded = await run(steps[2].document, steps[2].actor);
    expect(onboarded.admin).toMatchObject({ email: 'admin@yilan-bank.example', role: 'INSTITUTION_ADMIN' });
    ids.INSTITUTION_ID = onboarded.institution.id;
    expect(await run(steps[3].document, steps[3].actor)).toMatchObject({ imported: 2, rejected: [] });
    ids.LOAN_PRODUCT_ID = (await run(steps[4].document, steps[4].actor)).loanProduct.id;
    expect((await run(steps[5].document, steps[5].actor)).loanProduct.status).toBe('PUBLISHED');
    // The officer's subscription (a graphql-ws block between steps 6 and 7) sees the need (within a second when
    // the machine is quiet: tests assert no timings, so it may take longer here).
    const officer = await subscribeAsOfficer(ids.INSTITUTION_ID);
    // Posting matches synchronously: no background work needed for the mill to see the product.
    const posted = await run(steps[6].document, steps[6].actor);
    const seen = await officer.next(15_000);
    await officer.stop();
    expect(seen).toMatchObject({ type: 'REQUEST_MATCHED', financingRequestId: posted.financingRequest.id });
    ids.FINANCING_REQUEST_ID = posted.financingRequest.id;
    expect(posted.financingRequest.matches.nodes[0]).toMatchObject({
      rank: 1,
      quotedRate: '4.10',
      loanProduct: { name: '稻米贷' },
      reasons: { creditGrade: 'A', incentiveApplied: true },
    });
    ids.APPLICATION_ID = (await run(steps[7].document, steps[7].actor)).application.id;
    expect((await run(steps[8].document, steps[8].actor)).application.status).toBe('ACCEPTED');
    expect((await run(steps[9].document, steps[9].actor)).creditGrant).toMatchObject({
      amount: '1130000.00',
      annualRate: '4.10',
    });
    expect((await run(steps[10].document, steps[10].actor)).disbursement.creditGrant.remainingAmount).toBe('530000.00');
    const second = steps[10].document.replace('"600000.00"', '"530000.00"').replace('"tranche-1"', '"tranche-2"');
    expect((await run(second, steps[10].actor)).disbursement.creditGrant.remainingAmount).toBe('0.00');
    const story = await run(steps[11].document, steps[11].actor);
    expect(story.status).toBe('DISBURSED');
    expect(story.financingRequest.enterprise.creditProfile).toMatchObject({ score: 780, grade: 'A' });
    const events = story.events.nodes;
    const types = ['SUBMITTED', 'ACCEPTED', 'CREDIT_GRANTED', 'DISBURSED', 'DISBURSED'];
    expect(events.map((event: any) => event.type)).toEqual(types);
    expect(events.map((event: any) => event.actor.kind)).toEqual(['ENTERPRISE', ...Array(4).fill('INSTITUTION')]);
    expect(story.events.nodes[1].actor.institution.name).toBe('哈尔滨银行依兰支行');
    expect(story.latest).toMatchObject({ nodes: [{ toStatus: 'DISBURSED' }], pageInfo: { hasPreviousPage: true } });
  });
});
