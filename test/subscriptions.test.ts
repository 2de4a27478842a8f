import { startTestApp, TestApp } from './support/app';
import {
  applyToProduct,
  createInstitution,
  createPublishedProduct,
  enterpriseInput,
  postRequest,
  registerEnterprise,
  requestInput,
} from './support/fixtures';
import { operation } from './support/operations';
import { startProductionServer, ProductionServer } from './support/production';
import { disposeClients, live, settle, subscribe, until } from './support/subscriptions';

/**
 * Subscriptions over graphql-ws on /graphql, fed by the outbox: each tenant gets its own events and
 * never another's; a second server process delivers what the first committed; `after:` resumes
 * without gaps or repeats; a revoked session ends its socket.
 */
let app: TestApp;
let second: TestApp;
let production: ProductionServer;
beforeAll(async () => {
  app = await startTestApp();
  second = await startTestApp({ onDatabaseOf: app });
  production = await startProductionServer(app);
});
afterAll(async () => {
  await disposeClients();
  await production?.stop();
  await second?.close();
  await app?.close();
});

const APPLICATIONS = `subscription($after: ID) {
  applicationUpdated(after: $after) { eventId type applicationId financingRequestId loanProductId }
}`;
const MATCHING = `subscription($product: ID, $after: ID) {
  matchingRequestPosted(loanProductId: $product, after: $after) { eventId type financingRequestId loanProductId }
}`;
const STATS = `subscription { platformStatsChanged { requested { count } } }`;

describe('subscriptions over graphql-ws', () => {
  it("delivers each tenant its own events and never another tenant's (staff, enterprises, analysts)", async () => {
    const bankA = await createInstitution(app);
    const productA = await createPublishedProduct(app, bankA.id);
    const bankB = await createInstitution(app);
    const productB = await createPublishedProduct(app, bankB.id);
    const riceMill = await registerEnterprise(app);
    const otherMill = await registerEnterprise(app);

    const staffA = await live(subscribe(app.url, APPLICATIONS, {}, { 'x-actor': bankA.id }));
    const staffB = await live(subscribe(app.url, APPLICATIONS, {}, { 'x-actor': bankB.id }));
    const mill = await live(subscribe(app.url, APPLICATIONS, {}, { 'x-actor': riceMill.id }));
    const other = await live(subscribe(app.url, APPLICATIONS, {}, { 'x-actor': otherMill.id }));
    const needsA = await live(subscribe(app.url, MATCHING, {}, { 'x-actor': bankA.id }));
    const needsAOnlyB = await live(subscribe(app.url, MATCHING, { product: productB.id }, { 'x-actor': bankA.id }));
    const needsB = await live(subscribe(app.url, MATCHING, { product: productB.id }, { 'x-actor': bankB.id }));
    const analyst = await live(subscribe(app.url, STATS, {}, { 'x-actor': 'analyst' }));
    const analystApplications = subscribe(app.url, APPLICATIONS, {}, { 'x-actor': 'analyst' });
    const millNeeds = subscribe(app.url, MATCHING, {}, { 'x-actor': riceMill.id });

    const request = await postRequest(app, riceMill.id);
    const application = await applyToProduct(app, riceMill.id, request.id, productA.id);

    await until(() => staffA.events.length === 1 && mill.events.length === 1, 'the application events');
    await until(() => needsA.events.length === 1 && needsB.events.length === 1, 'the matching events');
    await until(() => analyst.events.length >= 1 || analyst.errors.length > 0, 'a statistics push');
    expect(analyst.errors).toEqual([]);
    await settle();
    const submitted = { type: 'APPLICATION_SUBMITTED', applicationId: application.id, financingRequestId: request.id };
    expect(staffA.events).toEqual([expect.objectContaining({ ...submitted, loanProductId: productA.id })]);
    expect(mill.events).toEqual([expect.objectContaining(submitted)]);
    expect(staffB.events).toEqual([]);
    expect(other.events).toEqual([]);
    expect(needsA.events).toEqual([
      expect.objectContaining({ type: 'REQUEST_MATCHED', financingRequestId: request.id, loanProductId: productA.id }),
    ]);
    // Bank A asking for bank B's product gets nothing of B's.
    expect(needsAOnlyB.events).toEqual([]);
    expect(needsB.events).toEqual([expect.objectContaining({ loanProductId: productB.id })]);
    expect(analyst.events[0].requested.count).toEqual(expect.any(Number));
    for (const refused of [analystApplications, millNeeds]) {
      expect(refused.events).toEqual([]);
      expect(refused.errors.map((error) => error.extensions?.code)).toEqual(['FORBIDDEN']);
    }
  });

  it('refuses a connection without a valid token (4401) and queries over WebSocket', async () => {
    const anonymous = subscribe(production.url, APPLICATIONS, {}, {});
    expect((await anonymous.closed).code).toBe(4401);
    const forged = subscribe(production.url, APPLICATIONS, {}, { authorization: 'Bearer not.a.token' });
    expect((await forged.closed).code).toBe(4401);
    const bank = await createInstitution(app);
    const query = subscribe(app.url, '{ viewer { email } }', {}, { 'x-actor': bank.id });
    await until(() => query.errors.length > 0, 'the refusal');
    expect(query.errors[0].message).toMatch(/Only subscriptions/);
  });

  it('delivers an event committed through another server process', async () => {
    const bank = await createInstitution(app);
    const product = await createPublishedProduct(app, bank.id);
    const mill = await registerEnterprise(app);
    const officer = await live(subscribe(second.url, MATCHING, {}, { 'x-actor': bank.id }));
    const request = await postRequest(app, mill.id);
    await until(() => officer.events.length === 1, 'the need posted on the other server');
    expect(officer.events[0]).toMatchObject({ financingRequestId: request.id, loanProductId: product.id });
  });

  it('resumes after a disconnect from the last event id: nothing missed, nothing repeated, in order', async () => {
    const bank = await createInstitution(app);
    const product = await createPublishedProduct(app, bank.id);
    const mill = await registerEnterprise(app);
    const first = await live(subscribe(app.url, MATCHING, {}, { 'x-actor': bank.id }));
    const posted = [await postRequest(app, mill.id), await postRequest(app, mill.id)];
    await until(() => first.events.length === 2, 'the first two needs');
    first.stop();
    const last = first.events[1].eventId;
    // Posted while disconnected: one on this server, one on the other.
    posted.push(await postRequest(app, mill.id));
    const onSecond = await second.gql(operation('PostFinancingRequest'), { input: requestInput() }, mill.id);
    posted.push(onSecond.data.postFinancingRequest.financingRequest);
    const resumed = subscribe(second.url, MATCHING, { after: last }, { 'x-actor': bank.id });
    await until(() => resumed.events.length === 2, 'the needs missed');
    posted.push(await postRequest(app, mill.id));
    await until(() => resumed.events.length === 3, 'the next need, live');
    await settle();
    const received = [...first.events, ...resumed.events];
    expect(received.map((event) => event.financingRequestId)).toEqual(posted.map((request) => request.id));
    expect(received.every((event) => event.loanProductId === product.id)).toBe(true);
    expect(new Set(received.map((event) => event.eventId)).size).toBe(5);
  });

  it('ends the subscription (4401) when its session is ended mid-subscription', async () => {
    const credentials = { email: 'mill@subscriptions.example', password: 'rice harvest passphrase' };
    const input = enterpriseInput({ account: credentials });
    const registered = await production.call(operation('RegisterEnterprise'), { input });
    expect(registered.body.data.registerEnterprise.userErrors).toEqual([]);
    const session = await production.login(credentials.email, credentials.password);
    const params = { authorization: `Bearer ${session.token}` };
    const watching = await live(subscribe(production.url, APPLICATIONS, {}, params));
    expect(watching.errors).toEqual([]);
    const logout = await production.call(`mutation { logout(input: {}) { sessionsEnded } }`, {}, session.token);
    expect(logout.body.data.logout.sessionsEnded).toBe(1);
    const timeout = new Promise((resolve) => setTimeout(() => resolve(null), 5000));
    const closed = await Promise.race([watching.closed, timeout]);
    expect(closed).toMatchObject({ code: 4401 });
  });
});
