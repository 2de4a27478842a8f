import { startTestApp, TestApp } from './support/app';
import { runAttack } from './attack/attack';
import { systemActor } from '../src/common/actor';
import { AccountRole } from '../src/auth/user-account.entity';

/**
 * Issue 17's "done when": the external attack script (test/attack/attack.ts, `npm run attack`) finds nothing
 * against a fresh production-mode server. It talks HTTP only; here it gets an operator made as the CLI makes one.
 */
let app: TestApp;

beforeAll(async () => {
  app = await startTestApp({ production: true });
  await app.server.services.auth.createOperatorOrAnalyst(
    systemActor,
    { email: 'operator@attack.example', password: 'attack operator passphrase' },
    AccountRole.OPERATOR,
  );
});
afterAll(async () => {
  await app?.close();
});

it('the external attack script finds nothing against a production-mode server', async () => {
  const findings = await runAttack({
    url: app.url,
    operatorEmail: 'operator@attack.example',
    operatorPassword: 'attack operator passphrase',
  });
  expect(findings).toEqual([]);
}, 120_000);
