import http from 'node:http';
import { startTestApp, TestApp } from './support/app';
import { operation } from './support/operations';
import { enterpriseInput } from './support/fixtures';
import { LOGIN, startProductionServer, ProductionServer } from './support/production';
import { HashingGate } from '../src/auth/hashing-gate';
import { passwordProblem } from '../src/auth/password-policy';
import { clientKey } from '../src/auth/client-address';

/** Sign-in resists abuse (issue 17, item 4): over HTTP against a server in production mode. */
let app: TestApp;
let api: ProductionServer;
beforeAll(async () => {
  app = await startTestApp();
  api = await startProductionServer(app);
});
afterAll(async () => {
  await api?.stop();
  await app?.close();
});

/** POSTs from a chosen loopback source address (the whole of 127.0.0.0/8 reaches the server). */
function from(
  address: string,
  query: string,
  variables: Record<string, unknown>,
): Promise<{ status: number; retryAfter?: string; body: any }> {
  const { port } = new URL(api.url);
  const body = JSON.stringify({ query, variables });
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        host: '127.0.0.1',
        port,
        path: '/graphql',
        method: 'POST',
        localAddress: address,
        agent: false,
        headers: { 'content-type': 'application/json' },
      },
      (response) => {
        let text = '';
        response.on('data', (chunk) => (text += chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode!,
            retryAfter: response.headers['retry-after'],
            body: JSON.parse(text),
          }),
        );
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}
const login = (address: string, email: string, password: string) =>
  from(address, LOGIN, { input: { email, password } });
const codeOf = (response: { body: any }) =>
  response.body.errors?.[0].extensions.code ?? response.body.data.login.userErrors[0]?.code ?? 'OK';

let sequence = 0;
async function register(password = 'harbin rice mill passphrase') {
  const email = `mill${++sequence}@abuse.example`;
  const response = await api.call(operation('RegisterEnterprise'), {
    input: enterpriseInput({ account: { email, password } }),
  });
  return { email, password, payload: response.body.data?.registerEnterprise, response };
}

describe('password policy (NIST SP 800-63B)', () => {
  it('refuses common and breached passwords, padded ones, runs and repetitions; accepts long passphrases', async () => {
    for (const weak of [
      'password1234',
      'Password1234',
      'iloveyou2020!!',
      '!!qwertyuiop12',
      'aaaaaaaaaaaa',
      'abcdefghijklm',
    ]) {
      const { email, payload } = await register(weak);
      expect(payload.userErrors).toEqual([
        { field: ['input', 'account', 'password'], code: 'WEAK_PASSWORD', message: expect.any(String) },
      ]);
      expect(payload.enterprise).toBeNull();
      expect((await api.login(email, weak)).userErrors[0].code).toBe('INVALID_CREDENTIALS');
    }
    const long = '松花江畔的稻米加工厂 '.repeat(11).slice(0, 128);
    for (const good of ['correct horse battery staple', long]) {
      const { email, payload } = await register(good);
      expect(payload.userErrors).toEqual([]);
      expect((await api.login(email, good)).userErrors).toEqual([]);
    }
    const tooLong = await register('x1y2'.repeat(33));
    expect(tooLong.response.body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    expect(JSON.stringify(tooLong.response.body)).not.toContain('x1y2');
    expect(passwordProblem('oats@mill.example', 'oats@mill.example')).toMatch(/email/);
  });
});

describe('registration tells nothing about which emails exist', () => {
  it('answers a registration with a taken email like any other, and creates no second account', async () => {
    const first = await register();
    const again = await api.call(operation('RegisterEnterprise'), {
      input: enterpriseInput({
        account: { email: first.email.toUpperCase(), password: 'another rice mill passphrase' },
      }),
    });
    const fresh = await register('a third rice mill passphrase');
    const shape = (payload: any) => ({ ...payload, enterprise: Object.keys(payload.enterprise) });
    expect(shape(again.body.data.registerEnterprise)).toEqual(shape(fresh.payload));
    expect(again.body.data.registerEnterprise.userErrors).toEqual([]);
    expect((await api.login(first.email, 'another rice mill passphrase')).userErrors[0].code).toBe(
      'INVALID_CREDENTIALS',
    );
    expect((await api.login(first.email, first.password)).userErrors).toEqual([]);
  });
});

describe('failed sign-ins are throttled per (email, address), never locking the owner out', () => {
  it('backs off exponentially after five failures from one address; the owner elsewhere still signs in', async () => {
    const { email, password } = await register();
    for (let i = 0; i < 5; i++)
      expect(codeOf(await login('127.0.0.2', email, 'guess number ' + i))).toBe('INVALID_CREDENTIALS');
    const throttled = await login('127.0.0.2', email, password);
    expect(throttled.status).toBe(429);
    expect(throttled.body.errors[0].extensions.code).toBe('RATE_LIMITED');
    expect(throttled.retryAfter).toBe('1');
    expect(JSON.stringify(throttled.body)).not.toContain(email);
    // The owner, from another address, is let through.
    expect(codeOf(await login('127.0.0.3', email, password))).toBe('OK');
    // The wait doubles with each further failure.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect(codeOf(await login('127.0.0.2', email, 'guess number 6'))).toBe('INVALID_CREDENTIALS');
    expect((await login('127.0.0.2', email, password)).retryAfter).toBe('2');
  });

  it('throttles an unknown email exactly like a known one', async () => {
    const unknown = `nobody${Date.now()}@abuse.example`;
    for (let i = 0; i < 5; i++)
      expect(codeOf(await login('127.0.0.4', unknown, 'guess number ' + i))).toBe('INVALID_CREDENTIALS');
    const throttled = await login('127.0.0.4', unknown, 'guess number 5');
    expect([throttled.status, throttled.body.errors[0].extensions.code, throttled.retryAfter]).toEqual([
      429,
      'RATE_LIMITED',
      '1',
    ]);
  });

  it('under attack from many addresses each new one gets one free failure; the owner still gets in', async () => {
    const { email, password } = await register();
    for (const address of ['127.0.1.1', '127.0.1.2', '127.0.1.3', '127.0.1.4']) {
      for (let i = 0; i < 5; i++) await login(address, email, `spray ${address} ${i}`);
    }
    expect(codeOf(await login('127.0.1.5', email, 'spray once'))).toBe('INVALID_CREDENTIALS');
    expect(codeOf(await login('127.0.1.5', email, 'spray twice'))).toBe('RATE_LIMITED');
    expect(codeOf(await login('127.0.1.6', email, password))).toBe('OK');
  });
});

describe('client keys', () => {
  it('count an IPv6 /64 as one client, and an IPv4-mapped address as its IPv4 address', () => {
    expect(clientKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(clientKey('2001:0db8:0001:0002:ffff:1:2:3')).toBe('2001:db8:1:2::/64');
    expect(clientKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(clientKey('::1')).toBe('0:0:0:0::/64');
    expect(clientKey('::ffff:10.1.2.3')).toBe('10.1.2.3');
    expect(clientKey('10.1.2.3')).toBe('10.1.2.3');
  });
});

describe('password hashing is bounded', () => {
  it('one address bursting sign-ins is refused beyond its share (429) while another address signs in', async () => {
    const { email, password } = await register();
    const burst = Array.from({ length: 16 }, (_, i) =>
      login('127.0.2.1', `burst${i}@abuse.example`, 'not a password at all'),
    );
    const owner = login('127.0.2.2', email, password);
    const answers = await Promise.all(burst);
    const refused = answers.filter((answer) => answer.status === 429);
    expect(refused.length).toBeGreaterThan(0);
    for (const answer of refused)
      expect([answer.body.errors[0].extensions.code, answer.retryAfter]).toEqual(['RATE_LIMITED', '1']);
    expect(
      answers.filter((answer) => answer.status === 200).every((answer) => codeOf(answer) === 'INVALID_CREDENTIALS'),
    ).toBe(true);
    expect(codeOf(await owner)).toBe('OK');
  });

  it('answers SIGN_IN_BUSY (503, Retry-After) over HTTP when many addresses together fill the queue', async () => {
    const { concurrency, queueLimit, perClient } = api.server.services.auth.hashing;
    const addresses = Math.ceil((concurrency + queueLimit) / perClient) + 3;
    const burst = Array.from({ length: addresses * perClient }, (_, i) =>
      login(`127.0.3.${1 + Math.floor(i / perClient)}`, `crowd${i}@abuse.example`, 'not a password at all'),
    );
    const answers = await Promise.all(burst);
    const busy = answers.filter((answer) => answer.status === 503);
    expect(busy.length).toBeGreaterThan(0);
    for (const answer of busy) {
      expect([answer.body.errors[0].extensions.code, answer.retryAfter, answer.body.errors[0].message]).toEqual([
        'SIGN_IN_BUSY',
        '1',
        expect.stringMatching(/busy/),
      ]);
    }
  });

  it('refuses with SIGN_IN_BUSY (503, Retry-After) when every place in the queue is taken', async () => {
    const gate = new HashingGate(1, 1, 10);
    let release!: () => void;
    const slow = () => new Promise<string>((resolve) => (release = () => resolve('done')));
    const running = gate.run('a', slow);
    const queued = gate.run('b', async () => 'queued');
    await expect(gate.run('c', async () => 'refused')).rejects.toMatchObject({
      extensions: { code: 'SIGN_IN_BUSY', http: { status: 503 } },
    });
    release();
    expect(await Promise.all([running, queued])).toEqual(['done', 'queued']);
    expect(await gate.run('c', async () => 'later')).toBe('later');
  });
});
