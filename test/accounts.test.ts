import { SignJWT } from 'jose';
import { startTestApp, TestApp } from './support/app';
import { operation } from './support/operations';
import { enterpriseInput, inviteStaff, requestInput, productInput, verifyEnterprise } from './support/fixtures';
import { DEVELOPMENT_JWT_SECRET, loadConfig } from '../src/common/config';
import { startServer } from '../src/server';
import { TokenService } from '../src/auth/tokens';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(async () => {
  await app?.close();
});

const LOGIN =
  `mutation($input: LoginInput!) { login(input: $input) { token expiresAt` +
  ` account { id email role enterprise { name } institution { name } }` +
  ` userErrors { code message } } }`;
const VIEWER = `{ viewer { email role } }`;

async function bearer(query: string, variables: Record<string, unknown>, token: string) {
  const response = await fetch(app.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, body: (await response.json()) as any };
}

async function login(email: string, password: string) {
  const response = await app.gql(LOGIN, { input: { email, password } });
  return response.data.login;
}

describe('accounts and tokens', () => {
  it('registers an enterprise with its first user, who signs in and acts with a bearer token', async () => {
    const registered = await app.gql(operation('RegisterEnterprise'), {
      input: enterpriseInput({ account: { email: 'Owner@RiceMill.example', password: 'correct horse battery' } }),
    });
    expect(registered.data.registerEnterprise.userErrors).toEqual([]);
    const signedIn = await login('owner@ricemill.example', 'correct horse battery');
    expect(signedIn.userErrors).toEqual([]);
    expect(signedIn.account).toMatchObject({ email: 'owner@ricemill.example', role: 'ENTERPRISE' });
    expect(new Date(signedIn.expiresAt).getTime()).toBeGreaterThan(Date.now());

    expect((await bearer(VIEWER, {}, signedIn.token)).body.data.viewer).toEqual({
      email: 'owner@ricemill.example',
      role: 'ENTERPRISE',
    });
    // It acts for its USCC once the operator has verified it (实名认证).
    const early = await bearer(operation('PostFinancingRequest'), { input: requestInput() }, signedIn.token);
    expect(early.body.errors[0].extensions.code).toBe('ENTERPRISE_NOT_VERIFIED');
    await verifyEnterprise(app, registered.data.registerEnterprise.enterprise.id);
    const posted = await bearer(operation('PostFinancingRequest'), { input: requestInput() }, signedIn.token);
    expect(posted.body.data.postFinancingRequest.financingRequest.status).toBe('OPEN');

    const renewed = await bearer(
      `mutation { renewToken(input: { clientMutationId: "r1" }) { token clientMutationId userErrors { code } } }`,
      {},
      signedIn.token,
    );
    expect(renewed.body.data.renewToken).toMatchObject({ clientMutationId: 'r1', userErrors: [] });
    expect((await bearer(VIEWER, {}, renewed.body.data.renewToken.token)).body.data.viewer.role).toBe('ENTERPRISE');
  });

  it('answers a wrong password and an unknown email alike, and refuses weak passwords', async () => {
    await app.gql(operation('RegisterEnterprise'), {
      input: enterpriseInput({ account: { email: 'a@mill.example', password: 'a long enough password' } }),
    });
    const wrong = await login('a@mill.example', 'not the password');
    const unknown = await login('nobody@mill.example', 'not the password');
    expect(wrong).toEqual({
      token: null,
      expiresAt: null,
      account: null,
      userErrors: [{ code: 'INVALID_CREDENTIALS', message: 'The email or password is not correct' }],
    });
    expect(unknown).toEqual(wrong);
    const weak = await app.gql(operation('RegisterEnterprise'), {
      input: enterpriseInput({ account: { email: 'b@mill.example', password: 'short' } }),
    });
    expect(weak.errors?.[0].extensions?.validationErrors).toEqual([
      { field: 'input.account.password', messages: ['password must be 12 to 128 characters long'] },
    ]);
    expect(JSON.stringify(weak.errors)).not.toContain('short');
  });

  it('refuses an expired, tampered or foreign token with 401 instead of treating it as anonymous', async () => {
    await app.gql(operation('RegisterEnterprise'), {
      input: enterpriseInput({ account: { email: 'c@mill.example', password: 'a long enough password' } }),
    });
    const { token, account } = await login('c@mill.example', 'a long enough password');
    const accountId = Buffer.from(account.id, 'base64').toString().split(':')[1];
    const key = new TextEncoder().encode(DEVELOPMENT_JWT_SECRET);
    const expired = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(accountId)
      .setIssuer('credit-easy-loan')
      .setAudience('credit-easy-loan-api')
      .setIssuedAt(1_700_000_000)
      .setExpirationTime(1_700_000_900)
      .sign(key);
    const foreign = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(accountId)
      .setIssuer('credit-easy-loan')
      .setAudience('credit-easy-loan-api')
      .setExpirationTime('15m')
      .sign(new TextEncoder().encode('some other secret that is long enough'));
    const tampered = token.slice(0, -3) + (token.endsWith('AAA') ? 'BBB' : 'AAA');
    for (const bad of [expired, foreign, tampered, 'not-a-jwt']) {
      const response = await bearer(VIEWER, {}, bad);
      expect(response.status).toBe(401);
      expect(response.body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
    }
  });

  it('an institution admin invites staff who act for that institution only; staff cannot invite staff', async () => {
    const created = await app.gql(
      operation('CreateInstitution'),
      {
        input: {
          name: '龙江银行',
          type: 'BANK',
          regionsServed: ['230000'],
          admin: { email: 'admin@bank.example', password: 'admin password 123' },
        },
      },
      'operator',
    );
    expect(created.data.createInstitution.userErrors).toEqual([]);
    const admin = await login('admin@bank.example', 'admin password 123');
    expect(admin.account).toMatchObject({ role: 'INSTITUTION_ADMIN', institution: { name: '龙江银行' } });
    const staff = await inviteStaff(app, admin.token, 'loan.officer@bank.example', 'officer password 1');
    const officer = await login('loan.officer@bank.example', 'officer password 1');
    expect(officer.account).toMatchObject({
      id: staff.accountId,
      role: 'INSTITUTION_STAFF',
      institution: { name: '龙江银行' },
    });
    const product = await bearer(operation('CreateLoanProduct'), { input: productInput() }, officer.token);
    expect(product.body.data.createLoanProduct.loanProduct.status).toBe('DRAFT');
    const byStaff = await bearer(operation('InviteStaffMember'), { input: { email: 'x@bank.example' } }, officer.token);
    expect(byStaff.body.errors[0].extensions.code).toBe('FORBIDDEN');
    // The admin sees the institution's own accounts already: inviting one of them again says so.
    const duplicate = await bearer(
      operation('InviteStaffMember'),
      { input: { email: 'LOAN.OFFICER@bank.example' } },
      admin.token,
    );
    expect(duplicate.body.data.inviteStaffMember).toEqual({
      invitation: null,
      userErrors: [
        { field: ['input', 'email'], message: 'An account of this institution has this email', code: 'EMAIL_TAKEN' },
      ],
    });
  });

  it('turns the X-Actor development header off in production, and production needs a JWT secret', async () => {
    const production = await startServer(
      { dataSource: app.dataSource, production: true, auth: { jwtSecret: 'x'.repeat(40), accessTokenTtlSeconds: 900 } },
      0,
      '127.0.0.1',
    );
    try {
      const response = await fetch(production.url.replace('localhost', '127.0.0.1'), {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-actor': 'operator' },
        body: JSON.stringify({ query: '{ institutions { totalCount } }' }),
      });
      expect(response.status).toBe(401);
      expect(((await response.json()) as any).errors[0].extensions.code).toBe('UNAUTHENTICATED');
    } finally {
      await production.stop();
    }
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow('JWT_SECRET must be set when NODE_ENV=production');
    expect(() => loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'short' })).toThrow(/at least 32/);
    expect(loadConfig({}).jwtSecret).toBe(DEVELOPMENT_JWT_SECRET);
  });
});

describe('the account behind a token', () => {
  async function eventually<T>(read: () => Promise<T>, until: (value: T) => boolean): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const value = await read();
      if (until(value) || attempt >= 250) return value;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  it('is read once, kept, and a change to it in the database takes effect as soon as it commits', async () => {
    await app.gql(operation('RegisterEnterprise'), {
      input: enterpriseInput({ account: { email: 'kept@mill.example', password: 'a long enough password' } }),
    });
    const { token } = await login('kept@mill.example', 'a long enough password');
    expect((await bearer(VIEWER, {}, token)).body.data.viewer.role).toBe('ENTERPRISE');
    // Kept: a request that needs nothing else from the database sends no statement at all.
    app.statements.count = 0;
    expect((await bearer(`{ __typename }`, {}, token)).body.data).toEqual({ __typename: 'Query' });
    expect(app.statements.count).toBe(0);

    await app.dataSource.query(
      `UPDATE user_account SET role = 'ANALYST', enterprise_id = NULL WHERE email = 'kept@mill.example'`,
    );
    // The platform's totals answer analysts only: they show which actor the token now stands for.
    const changed = await eventually(
      () => bearer(`{ platformStats { institutions } }`, {}, token),
      (r) => r.body.errors === undefined,
    );
    expect(changed.body.errors).toBeUndefined();
    expect(
      (await bearer(operation('PostFinancingRequest'), { input: requestInput() }, token)).body.errors[0].extensions
        .code,
    ).toBe('FORBIDDEN');

    await app.dataSource.query(`DELETE FROM user_account WHERE email = 'kept@mill.example'`);
    const removed = await eventually(
      () => bearer(VIEWER, {}, token),
      (r) => r.status === 401,
    );
    expect(removed.status).toBe(401);
  });
});

describe('TokenService', () => {
  it('remembers a verified token but still refuses it once it has expired', async () => {
    const tokens = new TokenService('a secret that is long enough for HS256 use', 60);
    const { token, expiresAt } = await tokens.issue('42', '7');
    expect(await tokens.verify(token)).toEqual({ accountId: '42', sessionId: '7' });
    expect(await tokens.verify(token, expiresAt.getTime() - 1)).toEqual({ accountId: '42', sessionId: '7' });
    expect(await tokens.verify(token, expiresAt.getTime())).toBeNull();
    const tampered = token.slice(0, -3) + (token.endsWith('AAA') ? 'BBB' : 'AAA');
    expect(await tokens.verify(tampered)).toBeNull();
  });
});
