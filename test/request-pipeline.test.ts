import { Client } from 'pg';
import { RequestRecord } from '../src/common/http/request-lifecycle';
import { RunningServer, startServer } from '../src/server';
import { startTestApp, TestApp } from './support/app';
import { capturingLogger } from './support/log-lines';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app.close());

/** Every request a server's pipeline reports, with the errors reported for it. */
function observe(server: RunningServer) {
  const started: RequestRecord[] = [];
  const ended: RequestRecord[] = [];
  const errors: Array<{ request: RequestRecord | undefined; error: unknown }> = [];
  const remove = server.requests.register({
    onRequestStart: (request) => started.push(request),
    onRequestEnd: (request) => ended.push({ ...request }),
    onError: (request, error) => errors.push({ request, error }),
  });
  /**
   * A request ends when its response's connection side closes, which can come a moment after the
   * client has read the answer: wait (boundedly) until `count` requests have ended.
   */
  const ending = async (count: number) => {
    for (let waited = 0; ended.length < count && waited < 5000; waited += 10) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };
  return { started, ended, errors, remove, ending };
}

async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  await response.text();
  return response;
}

describe('one request pipeline', () => {
  it('hooks see queries, mutations, refusals and errors, each started and ended once', async () => {
    const seen = observe(app.server);
    try {
      const query = await post(
        app.url,
        { query: 'query CountInstitutions { institutions { totalCount } }' },
        { 'x-actor': 'operator', 'x-request-id': 'probe-42' },
      );
      expect(query.status).toBe(200);
      expect(query.headers.get('x-request-id')).toBe('probe-42');

      const mutation = await post(
        app.url,
        {
          query:
            'mutation Onboard($input: CreateInstitutionInput!) ' +
            '{ createInstitution(input: $input) { institution { id } userErrors { code } } }',
          variables: {
            input: { name: '哈尔滨银行', type: 'BANK', regionsServed: ['230000'], responseDeadlineDays: 3 },
          },
        },
        { 'x-actor': 'operator' },
      );
      expect(mutation.status).toBe(200);

      const unauthenticated = await post(
        app.url,
        { query: '{ institutions { totalCount } }' },
        { authorization: 'Bearer not-a-token' },
      );
      expect(unauthenticated.status).toBe(401);

      const tooLarge = await post(app.url, { query: '{ __typename }', padding: 'x'.repeat(600 * 1024) });
      expect(tooLarge.status).toBe(413);

      const aliases = Array.from({ length: 31 }, (_, i) => `a${i}: __typename`).join(' ');
      const overAliased = await post(app.url, { query: `{ ${aliases} }` });
      expect(overAliased.status).toBe(400);

      // An internal error (a defect in a service), reported once with the error itself.
      const list = app.server.services.institution.list;
      app.server.services.institution.list = async () => {
        throw new Error('a defect deep in a service');
      };
      try {
        const failing = await post(
          app.url,
          { query: 'query Broken { institutions { totalCount } }' },
          { 'x-actor': 'operator' },
        );
        expect(failing.status).toBe(200);
      } finally {
        app.server.services.institution.list = list;
      }
      await seen.ending(6);
      const byName = (name: string) => seen.ended.find((request) => request.operationName === name);
      expect(seen.ended).toHaveLength(6);
      expect(seen.started.map((request) => request.id)).toEqual(seen.ended.map((request) => request.id));
      expect(new Set(seen.ended.map((request) => request.id)).size).toBe(6);
      expect(byName('CountInstitutions')).toMatchObject({
        id: 'probe-42',
        operationType: 'query',
        actor: 'OPERATOR',
        status: 200,
        outcome: 'success',
      });
      expect(byName('Onboard')).toMatchObject({
        operationType: 'mutation',
        actor: 'OPERATOR',
        status: 200,
        outcome: 'success',
      });
      expect(seen.ended[2]).toMatchObject({ status: 401, outcome: 'unauthenticated' });
      expect(seen.ended[3]).toMatchObject({ status: 413, outcome: 'refused', refusal: 'body_size' });
      expect(seen.ended[4]).toMatchObject({ status: 400, outcome: 'refused', refusal: 'aliases' });
      expect(byName('Broken')).toMatchObject({
        operationType: 'query',
        status: 200,
        outcome: 'error',
        errorCodes: ['INTERNAL_SERVER_ERROR'],
      });
      expect(seen.errors).toHaveLength(1);
      expect(seen.errors[0].request?.operationName).toBe('Broken');
      expect((seen.errors[0].error as Error).message).toBe('a defect deep in a service');
      for (const request of seen.ended) expect(request.durationMs).toBeGreaterThan(0);
    } finally {
      seen.remove();
    }
  });

  it('sees rate-limit refusals, per actor and per IP', async () => {
    const server = await startServer(
      { dataSource: app.dataSource, production: false, limits: { perIpPerMinute: 5, perActorPerMinute: 2 } },
      0,
      '127.0.0.1',
    );
    const seen = observe(server);
    try {
      const url = server.url.replace('localhost', '127.0.0.1');
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++)
        statuses.push(
          (await post(url, { query: '{ institutions { totalCount } }' }, { 'x-actor': 'operator' })).status,
        );
      for (let i = 0; i < 3; i++) statuses.push((await post(url, { query: '{ __typename }' })).status);
      expect(statuses).toEqual([200, 200, 429, 200, 200, 429]);
      await seen.ending(6);
      expect(seen.ended.map((request) => request.refusal ?? request.outcome)).toEqual([
        'success',
        'success',
        'rate_actor',
        'success',
        'success',
        'rate_ip',
      ]);
      expect(seen.ended[2].outcome).toBe('refused');
    } finally {
      await server.stop();
    }
  });

  it('writes one JSON access line per request with its id, operation, actor, status and duration', async () => {
    const { logger, lines } = capturingLogger();
    const server = await startServer({ dataSource: app.dataSource, production: false, logger }, 0, '127.0.0.1');
    try {
      const url = server.url.replace('localhost', '127.0.0.1');
      const response = await post(
        url,
        { query: 'query Mine { institutions { totalCount } }' },
        { 'x-actor': 'operator' },
      );
      const generated = response.headers.get('x-request-id');
      expect(generated).toMatch(/^[0-9a-f-]{36}$/);
      // A request id that is not a sane token is replaced, not echoed.
      const odd = await post(url, { query: '{ __typename }' }, { 'x-request-id': 'a b "<script>"' });
      expect(odd.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
      const list = server.services.institution.list;
      server.services.institution.list = async () => {
        throw new Error('a defect deep in a service');
      };
      await post(url, { query: 'query Broken { institutions { totalCount } }' }, { 'x-actor': 'operator' });
      server.services.institution.list = list;
      await new Promise((resolve) => setTimeout(resolve, 50));
    } finally {
      await server.stop();
    }
    const access = lines.filter((line) => line.msg === 'request');
    expect(access).toHaveLength(3);
    expect(access[0]).toMatchObject({
      level: 'info',
      method: 'POST',
      path: '/graphql',
      operation: 'Mine',
      operationType: 'query',
      actor: 'OPERATOR',
      status: 200,
      outcome: 'success',
    });
    expect(typeof access[0].time).toBe('string');
    expect(typeof access[0].durationMs).toBe('number');
    expect(access[2]).toMatchObject({ level: 'warn', operation: 'Broken', outcome: 'error' });
    const failures = lines.filter((line) => line.msg === 'request failed');
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ level: 'error', reqId: access[2].reqId, operation: 'Broken' });
    expect(failures[0].err.stack).toMatch(/a defect deep in a service\n\s+at /);
  });
});

describe('an outage', () => {
  it('is logged as one line without a stack', async () => {
    const { logger, lines } = capturingLogger();
    const server = await startServer({ dataSource: app.dataSource, production: false, logger }, 0, '127.0.0.1');
    const database = new URL((app.dataSource.options as { url: string }).url).pathname.slice(1);
    const admin = new Client({ connectionString: process.env.TEST_ADMIN_DATABASE_URL });
    await admin.connect();
    try {
      await admin.query(`ALTER DATABASE "${database}" ALLOW_CONNECTIONS false`);
      await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [database]);
      const url = server.url.replace('localhost', '127.0.0.1');
      const response = await post(
        url,
        { query: 'query Down { institutions { totalCount } }' },
        { 'x-actor': 'operator' },
      );
      expect(response.status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 50));
      const failures = lines.filter((line) => line.msg.startsWith('request failed'));
      expect(failures).toHaveLength(1);
      expect(failures[0]).toMatchObject({
        level: 'warn',
        msg: 'request failed: database unavailable',
        operation: 'Down',
      });
      expect(failures[0].err).toBeUndefined();
      expect(failures[0].error.message).not.toMatch(/\n/);
      const access = lines.find((line) => line.msg === 'request');
      expect(access.operation).toBe('Down');
      // 'unavailable' once outages are answered 503 SERVICE_UNAVAILABLE (issue 18), 'error' before.
      expect(['error', 'unavailable']).toContain(access.outcome);
    } finally {
      await admin.query(`ALTER DATABASE "${database}" ALLOW_CONNECTIONS true`);
      await admin.end();
      await server.stop();
    }
  });
});
