import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { startTestApp, TestApp } from './support/app';
import { capturingLogger } from './support/log-lines';
import { operation } from './support/operations';
import { enterpriseInput, productInput, requestInput } from './support/fixtures';
import { systemActor } from '../src/common/actor';
import { AccountRole } from '../src/auth/user-account.entity';

/**
 * In production mode: headers on every answer, JSON for unknown paths, clean refusals of odd text,
 * one log line per unexpected error.
 */
let app: TestApp;
let origin: string;
const log = capturingLogger();
const tokens: Record<string, string> = {};
const PASSWORD = 'hygiene password 1';

async function send(
  query: string,
  variables: Record<string, unknown> = {},
  options: { token?: string; headers?: Record<string, string> } = {},
) {
  const response = await fetch(app.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...options.headers,
    },
    body: JSON.stringify({ query, variables }),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, body: JSON.parse(text) as any };
}

async function signIn(email: string) {
  return (
    await send(`mutation($input: LoginInput!) { login(input: $input) { token } }`, {
      input: { email, password: PASSWORD },
    })
  ).body.data.login.token;
}

beforeAll(async () => {
  app = await startTestApp({ production: true, logger: log.logger });
  origin = new URL(app.url).origin;
  for (const role of [AccountRole.OPERATOR, AccountRole.ANALYST] as const) {
    await app.server.services.auth.createOperatorOrAnalyst(
      systemActor,
      { email: `${role.toLowerCase()}@hygiene.example`, password: PASSWORD },
      role,
    );
    tokens[role] = await signIn(`${role.toLowerCase()}@hygiene.example`);
  }
  const bank = await send(
    operation('CreateInstitution'),
    {
      input: {
        name: '卫生银行',
        type: 'BANK',
        regionsServed: ['230000'],
        admin: { email: 'bank@hygiene.example', password: PASSWORD },
      },
    },
    { token: tokens.OPERATOR },
  );
  expect(bank.body.data.createInstitution.userErrors).toEqual([]);
  tokens.bank = await signIn('bank@hygiene.example');
  await send(operation('RegisterEnterprise'), {
    input: enterpriseInput({ account: { email: 'mill@hygiene.example', password: PASSWORD } }),
  });
  tokens.enterprise = await signIn('mill@hygiene.example');
});
afterAll(async () => {
  await app?.close();
});

describe('HTTP hygiene', () => {
  it('puts security headers on every answer, whichever path writes it', async () => {
    const postBody =
      (body: string, headers: Record<string, string> = {}) =>
      () =>
        fetch(app.url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
    const query = (text: string) => JSON.stringify({ query: text });
    const graphql: Array<[string, () => Promise<Response>]> = [
      ['query', postBody(query('{ institutions { totalCount } }'))],
      [
        'query asking for graphql-response+json',
        postBody(query('{ institutions { totalCount } }'), { accept: 'application/graphql-response+json' }),
      ],
      ['mutation', postBody(query('mutation { renewToken(input: {}) { token } }'))],
      ['malformed body', postBody('{"query": ')],
      ['oversized body', postBody(query(`{ institutions { totalCount } } # ${'x'.repeat(600 * 1024)}`))],
      ['GET', () => fetch(app.url)],
      // Paths are matched whatever their case (as Express did): the answer is the API's, and so are its headers.
      [
        'path in capitals',
        () =>
          fetch(`${origin}/GraphQL`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: query('{ institutions { totalCount } }'),
          }),
      ],
    ];
    for (const [name, request] of graphql) {
      const response = await request();
      await response.arrayBuffer();
      const seen = {
        name,
        nosniff: response.headers.get('x-content-type-options'),
        cache: response.headers.get('cache-control'),
        poweredBy: response.headers.get('x-powered-by'),
      };
      expect(seen).toEqual({ name, nosniff: 'nosniff', cache: 'no-store', poweredBy: null });
    }
    for (const url of [
      `${origin}/dashboard/`,
      `${origin}/dashboard/dashboard.js`,
      `${origin}/health`,
      `${origin}/nowhere`,
    ]) {
      const response = await fetch(url);
      await response.arrayBuffer();
      expect({
        url,
        nosniff: response.headers.get('x-content-type-options'),
        poweredBy: response.headers.get('x-powered-by'),
      }).toEqual({ url, nosniff: 'nosniff', poweredBy: null });
      expect(response.headers.get('content-security-policy')).toMatch(/frame-ancestors 'none'/);
    }
    const dashboard = await fetch(`${origin}/dashboard/`);
    expect(dashboard.status).toBe(200);
    const policy = dashboard.headers.get('content-security-policy')!;
    // The page works under it: its script, style and data come from this origin, and it has no inline code.
    for (const directive of ["script-src 'self'", "style-src 'self'", "connect-src 'self'"])
      expect(policy).toContain(directive);
    const folder = path.join(__dirname, '..', 'src', 'analytics', 'dashboard');
    const html = fs.readFileSync(path.join(folder, 'index.html'), 'utf8');
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>|<style|\sstyle=|\son[a-z]+=|javascript:/i);
    expect(fs.readFileSync(path.join(folder, 'dashboard.js'), 'utf8')).not.toMatch(
      /\beval\(|new Function|style=|\.style\./,
    );
  });

  it('answers a request HTTP itself refuses with JSON and the same headers', async () => {
    const { hostname, port } = new URL(origin);
    for (const request of ['GET /graphql HTTP/1.1\r\nHost: x\r\nBad Header: 1\r\n\r\n', 'NOT HTTP\r\n\r\n']) {
      const answer = await new Promise<string>((resolve, reject) => {
        const socket = net.connect(Number(port), hostname, () => socket.write(request));
        let text = '';
        socket.on('data', (chunk) => (text += chunk));
        socket.on('end', () => resolve(text));
        socket.on('error', reject);
      });
      const [head, body] = answer.split('\r\n\r\n');
      expect({ request, status: head.split('\r\n')[0] }).toEqual({ request, status: 'HTTP/1.1 400 Bad Request' });
      expect(head.toLowerCase()).toContain('x-content-type-options: nosniff');
      expect(head.toLowerCase()).toContain("frame-ancestors 'none'");
      expect(JSON.parse(body)).toEqual({ errors: [{ message: 'Bad request', extensions: { code: 'BAD_REQUEST' } }] });
    }
  });

  it('answers unknown paths with JSON, not an HTML page', async () => {
    for (const [method, url] of [
      ['GET', '/nowhere'],
      ['POST', '/api'],
      ['DELETE', '/dashboard-x'],
    ]) {
      const response = await fetch(`${origin}${url}`, { method });
      expect({ method, url, status: response.status, type: response.headers.get('content-type') }).toEqual({
        method,
        url,
        status: 404,
        type: 'application/json; charset=utf-8',
      });
      expect(await response.json()).toEqual({ errors: [{ message: 'Not found', extensions: { code: 'NOT_FOUND' } }] });
    }
  });

  it('refuses names that are invisible, only spaces, or carry bidirectional overrides', async () => {
    const REGISTER = operation('RegisterEnterprise');
    const refusedNames = [
      '\u202e依兰米业\u202c',
      '依兰\u2066米业',
      '\u200b\u200b',
      ' \u3000\u00a0 ',
      '\u2060\ufeff',
      '米业\u200f',
      // Fillers that render as nothing though they are letters (Lo), and the blank Braille pattern.
      '\u3164\u3164',
      '\u115f\u1160',
      '\uffa0\u034f',
      '\u2800\u2800',
      // A line break that is not a control character.
      '依兰\u2028米业',
    ];
    for (const name of refusedNames) {
      const response = await send(REGISTER, { input: enterpriseInput({ name }) });
      expect({ name, status: response.status, code: response.body.errors?.[0].extensions.code }).toEqual({
        name,
        status: 200,
        code: 'BAD_USER_INPUT',
      });
      expect(response.text).not.toContain(name);
    }
    const product = await send(
      operation('CreateLoanProduct'),
      { input: productInput({ name: '\u202e贷' }) },
      { token: tokens.bank },
    );
    expect(product.body.errors?.[0].extensions.code).toBe('BAD_USER_INPUT');
    const purpose = await send(
      operation('PostFinancingRequest'),
      { input: requestInput({ purpose: '\u200b' }) },
      { token: tokens.enterprise },
    );
    expect(purpose.body.errors?.[0].extensions.code).toBe('BAD_USER_INPUT');
    const institution = await send(
      operation('CreateInstitution'),
      { input: { name: '银行\u202d', type: 'BANK', regionsServed: ['230000'] } },
      { token: tokens.OPERATOR },
    );
    expect(institution.body.errors?.[0].extensions.code).toBe('BAD_USER_INPUT');
    // Ordinary names with inner spaces and mixed scripts still pass.
    expect(
      (await send(REGISTER, { input: enterpriseInput({ name: '依兰县 Rice Mill 有限公司' }) })).body.data
        .registerEnterprise.userErrors,
    ).toEqual([]);
  });

  it('refuses a date beyond the calendar it serves as bad input, not an internal error', async () => {
    const STATS = `query($filter: StatsFilter) { platformStats(filter: $filter) { enterprisesRegistered } }`;
    for (const filter of [{ to: '9999-12-31' }, { from: '0000-01-01' }, { from: '9999-12-31' }]) {
      const response = await send(STATS, { filter }, { token: tokens.ANALYST });
      expect({ filter, status: response.status, code: response.body.errors?.[0].extensions.code }).toEqual({
        filter,
        status: 400,
        code: 'BAD_USER_INPUT',
      });
    }
    const literal = await send(
      `{ platformStats(filter: { to: "9999-12-31" }) { enterprisesRegistered } }`,
      {},
      { token: tokens.ANALYST },
    );
    expect(literal.status).toBe(400);
    expect(literal.body.errors[0].extensions.code).not.toBe('INTERNAL_SERVER_ERROR');
    expect(
      (await send(STATS, { filter: { to: '2999-12-31' } }, { token: tokens.ANALYST })).body.data.platformStats
        .enterprisesRegistered,
    ).toBeGreaterThan(0);
  });

  it('refuses NUL in any string input, in variables or in the document', async () => {
    const cases: Array<[string, Record<string, unknown>, string?]> = [
      [`query($id: ID!) { node(id: $id) { id } }`, { id: 'RW50ZXJwcmlzZToxAA==\u0000' }],
      [`{ node(id: "x\\u0000") { id } }`, {}],
      [
        `mutation($input: LoginInput!) { login(input: $input) { token } }`,
        { input: { email: 'mill@hygiene.example\u0000', password: PASSWORD } },
      ],
      [operation('RegisterEnterprise'), { input: enterpriseInput({ name: '米业\u0000' }) }],
      [
        `query($filter: StatsFilter) { platformStats(filter: $filter) { enterprisesRegistered } }`,
        { filter: { regionCode: '230000\u0000' } },
        tokens.ANALYST,
      ],
    ];
    for (const [query, variables, token] of cases) {
      const response = await send(query, variables, { token });
      expect({ query, status: response.status, code: response.body.errors?.[0].extensions.code }).toEqual({
        query,
        status: 400,
        code: 'BAD_USER_INPUT',
      });
      expect(response.text).not.toContain('\\u0000');
    }
    // However deeply the variables nest (the body limit allows tens of thousands of levels): an
    // answer, not an internal error, and a NUL at the bottom is still found.
    const depth = 20_000;
    for (const [leaf, status] of [
      ['"x"', 200],
      ['"x\\u0000"', 400],
    ] as const) {
      const variables = `${'{"a":'.repeat(depth)}${leaf}${'}'.repeat(depth)}`;
      const response = await fetch(app.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: `{"query":"{ __typename }","variables":{"deep":${variables}}}`,
      });
      expect({ leaf, status: response.status }).toEqual({ leaf, status });
    }
  });

  it('logs every unexpected error once, with its request id, and masks it for the client', async () => {
    const services = app.server.services as any;
    const originals = {
      list: services.institution.list,
      setFourEyesThreshold: services.institution.setFourEyesThreshold,
    };
    services.institution.list = () => {
      throw new Error('institution list failed: secret detail');
    };
    services.institution.setFourEyesThreshold = async () => {
      throw new Error('threshold failed: secret detail');
    };
    try {
      const paths: Array<[string, string, Record<string, string>, string?]> = [
        ['compiled query', '{ institutions { totalCount } }', {}],
        [
          'compiled query, asking for graphql-response+json',
          '{ institutions { totalCount } }',
          { accept: 'application/graphql-response+json' },
        ],
        [
          'mutation',
          'mutation { setFourEyesThreshold(input: { threshold: "1.00" }) { userErrors { code } } }',
          {},
          tokens.bank,
        ],
      ];
      for (const [name, query, headers, token] of paths) {
        log.lines.length = 0;
        const requestId = `hygiene-${paths.findIndex(([n]) => n === name)}`;
        const response = await send(query, {}, { token, headers: { ...headers, 'x-request-id': requestId } });
        expect({ name, error: response.body.errors?.[0] }).toEqual({
          name,
          error: expect.objectContaining({
            message: 'Internal server error',
            extensions: { code: 'INTERNAL_SERVER_ERROR' },
          }),
        });
        expect(response.text).not.toContain('secret');
        const errors = log.lines.filter((line) => line.level === 'error');
        expect({ name, lines: errors.length }).toEqual({ name, lines: 1 });
        expect(errors[0].reqId).toBe(requestId);
        expect(JSON.stringify(errors[0])).toContain('secret detail');
      }
    } finally {
      Object.assign(services.institution, originals);
    }
  });
});
