import { startTestApp, TestApp } from './support/app';
import { operation } from './support/operations';
import { enterpriseInput, inviteStaff } from './support/fixtures';
import { startProductionServer, ProductionServer } from './support/production';
import { systemActor } from '../src/common/actor';
import { AccountRole } from '../src/auth/user-account.entity';
import { toGlobalId } from '../src/common/global-id';
import { loadConfig } from '../src/common/config';

/** Sessions end (issue 17, item 5): over HTTP against servers in production mode. */
let app: TestApp;
let api: ProductionServer;
let other: ProductionServer;
beforeAll(async () => {
  app = await startTestApp();
  api = await startProductionServer(app);
  other = await startProductionServer(app);
  await app.server.services.auth.createOperatorOrAnalyst(
    systemActor,
    { email: 'ops@sessions.example', password: 'operator passphrase 1' },
    AccountRole.OPERATOR,
  );
});
afterAll(async () => {
  await other?.stop();
  await api?.stop();
  await app?.close();
});

const VIEWER = `{ viewer { email } }`;
const LOGOUT = `mutation { logout(input: {}) { sessionsEnded userErrors { code } } }`;
const EVERYWHERE = `mutation {
  signOutEverywhere(input: { clientMutationId: "e" }) { sessionsEnded clientMutationId }
}`;
const REFRESH = `mutation($t: String!) {
  refreshSession(input: { refreshToken: $t }) { token refreshToken userErrors { code field } }
}`;
const RENEW = `mutation { renewToken(input: {}) { token userErrors { code } } }`;
const DISABLE = `mutation($id: ID!) {
  disableAccount(input: { accountId: $id }) { account { email disabledAt } userErrors { code } }
}`;
const ENABLE = `mutation($id: ID!) {
  enableAccount(input: { accountId: $id }) { account { email disabledAt } userErrors { code } }
}`;

let sequence = 0;
async function enterpriseAccount(): Promise<{ email: string; password: string }> {
  const credentials = { email: `owner${++sequence}@sessions.example`, password: 'rice harvest passphrase' };
  const registered = await api.call(operation('RegisterEnterprise'), {
    input: enterpriseInput({ account: credentials }),
  });
  expect(registered.body.data.registerEnterprise.userErrors).toEqual([]);
  return credentials;
}

function expectUnauthenticated(response: { status: number; body: any }) {
  expect(response.status).toBe(401);
  expect(response.body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
}

describe('sessions', () => {
  it('logout ends this session at once, here and in another server: access, renew and refresh refused', async () => {
    const { email, password } = await enterpriseAccount();
    const session = await api.login(email, password);
    expect(session.refreshToken).toEqual(expect.any(String));
    // Both servers have read (and kept) the session before it ends.
    expect((await api.call(VIEWER, {}, session.token)).body.data.viewer.email).toBe(email);
    expect((await other.call(VIEWER, {}, session.token)).body.data.viewer.email).toBe(email);
    const kept = await api.login(email, password);

    expect((await api.call(LOGOUT, {}, session.token)).body.data.logout).toEqual({ sessionsEnded: 1, userErrors: [] });
    expectUnauthenticated(await api.call(VIEWER, {}, session.token));
    expectUnauthenticated(await api.call(RENEW, {}, session.token));
    expect((await api.call(REFRESH, { t: session.refreshToken })).body.data.refreshSession).toEqual({
      token: null,
      refreshToken: null,
      userErrors: [{ code: 'INVALID_REFRESH_TOKEN', field: ['input', 'refreshToken'] }],
    });
    // The other server heard the change from PostgreSQL (NOTIFY on commit).
    expectUnauthenticated(
      await eventually(
        () => other.call(VIEWER, {}, session.token),
        (r) => r.status === 401,
      ),
    );
    // Another session of the same account stands.
    expect((await other.call(VIEWER, {}, kept.token)).body.data.viewer.email).toBe(email);
  });

  it('signOutEverywhere ends every session of the account, also their refresh tokens', async () => {
    const { email, password } = await enterpriseAccount();
    const phone = await api.login(email, password);
    const laptop = await api.login(email, password);
    expect((await other.call(VIEWER, {}, laptop.token)).status).toBe(200);
    expect((await api.call(EVERYWHERE, {}, phone.token)).body.data.signOutEverywhere).toEqual({
      sessionsEnded: 2,
      clientMutationId: 'e',
    });
    expectUnauthenticated(await api.call(VIEWER, {}, laptop.token));
    expectUnauthenticated(
      await eventually(
        () => other.call(VIEWER, {}, laptop.token),
        (r) => r.status === 401,
      ),
    );
    expect((await api.call(REFRESH, { t: laptop.refreshToken })).body.data.refreshSession.userErrors[0].code).toBe(
      'INVALID_REFRESH_TOKEN',
    );
    expect((await api.login(email, password)).userErrors).toEqual([]);
  });

  it('logout without a token is UNAUTHENTICATED', async () => {
    for (const mutation of [LOGOUT, EVERYWHERE])
      expect((await api.call(mutation)).body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
  });

  it('rotates refresh tokens; a reused one ends the whole session (both holders sign in again)', async () => {
    const { email, password } = await enterpriseAccount();
    const first = await api.login(email, password);
    const second = (await api.call(REFRESH, { t: first.refreshToken })).body.data.refreshSession;
    expect(second.userErrors).toEqual([]);
    expect(second.refreshToken).not.toBe(first.refreshToken);
    expect((await api.call(VIEWER, {}, second.token)).body.data.viewer.email).toBe(email);
    const third = (await api.call(REFRESH, { t: second.refreshToken })).body.data.refreshSession;
    expect(third.userErrors).toEqual([]);

    // The first refresh token again: stolen and replayed, or replayed by its owner after the thief used it.
    const replay = (await api.call(REFRESH, { t: first.refreshToken })).body.data.refreshSession;
    expect(replay.userErrors).toEqual([{ code: 'INVALID_REFRESH_TOKEN', field: ['input', 'refreshToken'] }]);
    for (const token of [first.token, second.token, third.token])
      expectUnauthenticated(await api.call(VIEWER, {}, token));
    expect((await api.call(REFRESH, { t: third.refreshToken })).body.data.refreshSession.userErrors[0].code).toBe(
      'INVALID_REFRESH_TOKEN',
    );
    expect((await api.call(REFRESH, { t: 'made-up' })).body.data.refreshSession.userErrors[0].code).toBe(
      'INVALID_REFRESH_TOKEN',
    );
  });

  it('renewToken gives a fresh access token for the same session, which logout still ends', async () => {
    const { email, password } = await enterpriseAccount();
    const session = await api.login(email, password);
    const renewed = (await api.call(RENEW, {}, session.token)).body.data.renewToken;
    expect(renewed.userErrors).toEqual([]);
    expect((await api.call(LOGOUT, {}, renewed.token)).body.data.logout.sessionsEnded).toBe(1);
    expectUnauthenticated(await api.call(VIEWER, {}, session.token));
    expectUnauthenticated(await api.call(RENEW, {}, renewed.token));
  });
});

describe('disabled accounts', () => {
  it('an operator disables an account: refused on its next request everywhere; no sign-in until enabled', async () => {
    const operator = await api.login('ops@sessions.example', 'operator passphrase 1');
    const { email, password } = await enterpriseAccount();
    const session = await api.login(email, password);
    expect((await other.call(VIEWER, {}, session.token)).status).toBe(200);

    const disabled = (await api.call(DISABLE, { id: session.account.id }, operator.token)).body.data.disableAccount;
    expect(disabled).toMatchObject({ account: { email, disabledAt: expect.any(String) }, userErrors: [] });
    expectUnauthenticated(await api.call(VIEWER, {}, session.token));
    expectUnauthenticated(
      await eventually(
        () => other.call(VIEWER, {}, session.token),
        (r) => r.status === 401,
      ),
    );
    expect((await api.call(REFRESH, { t: session.refreshToken })).body.data.refreshSession.userErrors[0].code).toBe(
      'INVALID_REFRESH_TOKEN',
    );
    // The right password is told the account is disabled; a wrong one learns nothing.
    expect((await api.login(email, password)).userErrors.map((e: any) => e.code)).toEqual(['ACCOUNT_DISABLED']);
    expect((await api.login(email, 'not the passphrase')).userErrors.map((e: any) => e.code)).toEqual([
      'INVALID_CREDENTIALS',
    ]);

    expect(
      (await api.call(ENABLE, { id: session.account.id }, operator.token)).body.data.enableAccount.account.disabledAt,
    ).toBeNull();
    expectUnauthenticated(await api.call(VIEWER, {}, session.token));
    const again = await api.login(email, password);
    expect((await api.call(VIEWER, {}, again.token)).body.data.viewer.email).toBe(email);
    // An operator cannot lock itself out.
    expect(
      (await api.call(DISABLE, { id: operator.account.id }, operator.token)).body.data.disableAccount.userErrors,
    ).toEqual([{ code: 'OWN_ACCOUNT' }]);
  });

  it('an institution admin disables its own staff only; other accounts answer like missing ones', async () => {
    const operator = await api.login('ops@sessions.example', 'operator passphrase 1');
    const staff: Record<string, any> = {};
    const admins: Record<string, any> = {};
    for (const bank of ['X', 'Y']) {
      const admin = { email: `admin${bank}@sessions.example`, password: 'bank admin passphrase' };
      const created = await api.call(
        operation('CreateInstitution'),
        { input: { name: `会话银行${bank}`, type: 'BANK', regionsServed: ['230000'], admin } },
        operator.token,
      );
      expect(created.body.data.createInstitution.userErrors).toEqual([]);
      admins[bank] = await api.login(admin.email, admin.password);
      const officer = { email: `officer${bank}@sessions.example`, password: 'loan officer passphrase' };
      await inviteStaff(api, admins[bank].token, officer.email, officer.password);
      staff[bank] = await api.login(officer.email, officer.password);
    }
    const missing = toGlobalId('UserAccount', '999999999');
    const foreign = await api.call(DISABLE, { id: staff.Y.account.id }, admins.X.token);
    const absent = await api.call(DISABLE, { id: missing }, admins.X.token);
    expect(foreign.body.errors[0].extensions.code).toBe('NOT_FOUND');
    expect(foreign.body).toEqual(absent.body);
    expect((await api.call(VIEWER, {}, staff.Y.token)).status).toBe(200);

    expect((await api.call(DISABLE, { id: staff.X.account.id }, staff.Y.token)).body.errors[0].extensions.code).toBe(
      'FORBIDDEN',
    );
    const enterprise = await enterpriseAccount();
    const owner = await api.login(enterprise.email, enterprise.password);
    expect((await api.call(DISABLE, { id: staff.X.account.id }, owner.token)).body.errors[0].extensions.code).toBe(
      'FORBIDDEN',
    );
    expect((await api.call(DISABLE, { id: staff.X.account.id })).body.errors[0].extensions.code).toBe(
      'UNAUTHENTICATED',
    );

    expect(
      (await api.call(DISABLE, { id: staff.X.account.id }, admins.X.token)).body.data.disableAccount.userErrors,
    ).toEqual([]);
    expectUnauthenticated(await api.call(VIEWER, {}, staff.X.token));
    expect((await api.login('officerX@sessions.example', 'loan officer passphrase')).userErrors[0].code).toBe(
      'ACCOUNT_DISABLED',
    );
  });
});

async function eventually<T>(read: () => Promise<T>, until: (value: T) => boolean): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    const value = await read();
    if (until(value) || attempt >= 100) return value;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('ended sessions', () => {
  it('are deleted, with their refresh tokens, by the retention job a day after they ended', async () => {
    const { email, password } = await enterpriseAccount();
    const old = await api.login(email, password);
    await api.call(LOGOUT, {}, old.token);
    const accountId = Buffer.from(old.account.id, 'base64').toString().split(':')[1];
    await app.dataSource.query(
      `UPDATE auth_session SET revoked_at = now() - interval '2 days', created_at = now() - interval '3 days'
       WHERE account_id = $1`,
      [accountId],
    );
    await api.login(email, password);
    await app.server.services.retention.run(loadConfig({}).retention);
    const [{ sessions, tokens }] = await app.dataSource.query(
      `SELECT count(*)::int AS sessions,
         (SELECT count(*)::int FROM refresh_token t JOIN auth_session s ON s.id = t.session_id WHERE s.account_id = $1)
           AS tokens
       FROM auth_session WHERE account_id = $1`,
      [accountId],
    );
    expect({ sessions, tokens }).toEqual({ sessions: 1, tokens: 1 });
  });
});
