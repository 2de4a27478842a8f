import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { startTestApp, TestApp } from './support/app';
import { operation } from './support/operations';
import { enterpriseInput, inviteStaff, mailedInvitationToken } from './support/fixtures';
import { capturingLogger } from './support/log-lines';
import { processLogger, setProcessLogger } from '../src/common/http/logging';
import { toGlobalId } from '../src/common/global-id';
import { MAX_PENDING_STAFF_INVITATIONS } from '../src/auth/staff-invitation.service';

/**
 * Staff invitations (docs/adr/0103): inviting tells an institution admin nothing about accounts
 * outside the institution, and only the mailbox can accept.
 */
let app: TestApp;
const tokens: Record<string, string> = {};

async function call(query: string, variables: Record<string, unknown>, token?: string) {
  const response = await fetch(app.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const raw = await response.text();
  return { status: response.status, raw, body: JSON.parse(raw) as any };
}

async function signIn(email: string, password: string) {
  const { body } = await call(`mutation($input: LoginInput!) { login(input: $input) { token userErrors { code } } }`, {
    input: { email, password },
  });
  return body.data.login as { token: string | null; userErrors: Array<{ code: string }> };
}

const INVITE = `mutation($input: InviteStaffMemberInput!) {
  inviteStaffMember(input: $input) {
    invitation {
      id email role status createdAt expiresAt acceptedAt revokedAt
      institution { name } invitedBy { kind account { email } } revokedBy { kind } account { id }
    }
    userErrors { field message code }
  }
}`;
const INVITATION = `query($id: ID!) {
  node(id: $id) {
    ... on StaffInvitation { id email status acceptedAt revokedAt account { email role } revokedBy { kind } }
  }
}`;
const ACCEPT = operation('AcceptStaffInvitation');
const REVOKE = operation('RevokeStaffInvitation');
const PASSWORD = 'invitation password 1';

const invite = (email: string, token = tokens.adminA) => call(INVITE, { input: { email } }, token);
const accept = (token: string, password = PASSWORD) => call(ACCEPT, { input: { token, password } });
const invitation = async (id: string, token = tokens.adminA) => (await call(INVITATION, { id }, token)).body.data.node;

/** An answer with what must differ between two emails (IDs, times, the email itself) replaced. */
const normalised = (answer: { status: number; raw: string }, email: string) =>
  `${answer.status} ${answer.raw}`
    .replaceAll(email, '<email>')
    .replace(/"id":"[^"]+"/g, '"id":"<id>"')
    .replace(/"\d{4}-\d\d-\d\dT[\d:.]+Z"/g, '"<time>"');

beforeAll(async () => {
  app = await startTestApp();
  for (const bank of ['A', 'B']) {
    const admin = { email: `admin${bank}@invite.example`, password: 'bank admin password' };
    await app.gql(
      operation('CreateInstitution'),
      { input: { name: `邀请银行${bank}`, type: 'BANK', regionsServed: ['230000'], admin } },
      'operator',
    );
    tokens[`admin${bank}`] = (await signIn(admin.email, admin.password)).token!;
  }
  await inviteStaff(app, tokens.adminB, 'officer@bank-b.example', PASSWORD);
  tokens.officerB = (await signIn('officer@bank-b.example', PASSWORD)).token!;
  await inviteStaff(app, tokens.adminA, 'officer@bank-a.example', PASSWORD);
  tokens.officerA = (await signIn('officer@bank-a.example', PASSWORD)).token!;
  await app.gql(operation('RegisterEnterprise'), {
    input: enterpriseInput({ account: { email: 'owner@mill.example', password: 'mill owner password' } }),
  });
});
afterAll(async () => {
  await app?.close();
});

describe('inviting staff', () => {
  it('answers the same bytes for an email with an account elsewhere as for a free one', async () => {
    const free = 'nobody@invite.example';
    const answers = [
      normalised(await invite(free), free),
      // An enterprise's owner, another bank's officer, another bank's admin (any case).
      normalised(await invite('owner@mill.example'), 'owner@mill.example'),
      normalised(await invite('officer@bank-b.example'), 'officer@bank-b.example'),
      normalised(await invite('AdminB@Invite.example'), 'adminb@invite.example'),
    ];
    expect(new Set(answers).size).toBe(1);
    expect(JSON.parse(answers[0].slice(4)).data.inviteStaffMember).toMatchObject({
      invitation: { email: '<email>', role: 'INSTITUTION_STAFF', status: 'PENDING', account: null },
      userErrors: [],
    });
    // Only the admin's own institution's accounts, which the admin sees anyway, are refused.
    const own = await invite('Officer@Bank-A.example');
    expect(own.body.data.inviteStaffMember.userErrors).toEqual([
      { field: ['input', 'email'], message: 'An account of this institution has this email', code: 'EMAIL_TAKEN' },
    ]);
    expect(own.body.data.inviteStaffMember.invitation).toBeNull();
  });

  it('mails the token to the invitee only: never in the answer, stored only as its hash', async () => {
    const capture = capturingLogger();
    const previous = processLogger();
    setProcessLogger(capture.logger);
    let answer: Awaited<ReturnType<typeof invite>>;
    try {
      answer = await invite('mailbox@invite.example');
    } finally {
      setProcessLogger(previous);
    }
    const token = await mailedInvitationToken(app, 'mailbox@invite.example');
    expect(answer.raw).not.toContain(token);
    const id = Buffer.from(answer.body.data.inviteStaffMember.invitation.id, 'base64').toString().split(':')[1];
    const [row] = await app.dataSource.query(`SELECT * FROM staff_invitation WHERE id = $1`, [id]);
    expect(JSON.stringify(row)).not.toContain(token);
    expect(row.token_hash).toEqual(createHash('sha256').update(token).digest());
    // Outside production the message is also logged (info), for development without a mail relay.
    const logged = capture.lines.filter((line) => line.to === 'mailbox@invite.example');
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ level: 'info', msg: 'mail queued for mailbox@invite.example' });
    expect(logged[0].body).toContain(token);
  });

  it('is for institution admins: staff, enterprises and anonymous callers are refused', async () => {
    expect((await invite('x@invite.example', tokens.officerA)).body.errors[0].extensions.code).toBe('FORBIDDEN');
    expect((await invite('x@invite.example', '')).body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
    const enterprise = (await signIn('owner@mill.example', 'mill owner password')).token!;
    expect((await invite('x@invite.example', enterprise)).body.errors[0].extensions.code).toBe('FORBIDDEN');
    const list = await call(`{ staffInvitations { totalCount } }`, {}, tokens.officerA);
    expect(list.body.errors[0].extensions.code).toBe('FORBIDDEN');
  });
});

describe('accepting an invitation', () => {
  it('creates the account with the invitee’s own password, once', async () => {
    const invited = await call(INVITE, { input: { email: 'teller@invite.example', admin: true } }, tokens.adminA);
    const id = invited.body.data.inviteStaffMember.invitation.id;
    expect(invited.body.data.inviteStaffMember.invitation).toMatchObject({
      role: 'INSTITUTION_ADMIN',
      institution: { name: '邀请银行A' },
      invitedBy: { kind: 'INSTITUTION', account: { email: 'admina@invite.example' } },
    });
    const token = await mailedInvitationToken(app, 'teller@invite.example');
    const weak = await accept(token, 'password1234');
    expect(weak.body.data.acceptStaffInvitation.userErrors.map((e: any) => e.code)).toEqual(['WEAK_PASSWORD']);
    const accepted = await accept(token);
    expect(accepted.body.data.acceptStaffInvitation).toEqual({
      account: {
        id: expect.any(String),
        email: 'teller@invite.example',
        role: 'INSTITUTION_ADMIN',
        institution: { name: '邀请银行A' },
      },
      userErrors: [],
    });
    expect((await signIn('teller@invite.example', PASSWORD)).token).toEqual(expect.any(String));
    // Who invited and who accepted stay on the invitation.
    expect(await invitation(id)).toMatchObject({
      status: 'ACCEPTED',
      acceptedAt: expect.any(String),
      account: { email: 'teller@invite.example', role: 'INSTITUTION_ADMIN' },
    });
    const again = await accept(token, 'another invitation password');
    expect(again.body.data.acceptStaffInvitation).toEqual({
      account: null,
      userErrors: [
        {
          field: ['input', 'token'],
          message: 'The invitation is not valid (unknown, used, revoked or expired); ask for a new one',
          code: 'INVALID_INVITATION',
        },
      ],
    });
    // An accepted invitation is not revoked: the account is disabled instead.
    const revoke = await call(REVOKE, { input: { invitationId: id } }, tokens.adminA);
    expect(revoke.body.data.revokeStaffInvitation.userErrors.map((e: any) => e.code)).toEqual(['INVALID_TRANSITION']);
  });

  it('refuses expired, revoked and unknown tokens alike', async () => {
    const refusal = (await accept('not-a-token-anyone-was-sent')).raw;
    expect(JSON.parse(refusal).data.acceptStaffInvitation.userErrors[0].code).toBe('INVALID_INVITATION');

    const expiring = (await invite('late@invite.example')).body.data.inviteStaffMember.invitation.id;
    await app.dataSource.query(`UPDATE staff_invitation SET expires_at = now() - interval '1 second' WHERE id = $1`, [
      Buffer.from(expiring, 'base64').toString().split(':')[1],
    ]);
    expect((await accept(await mailedInvitationToken(app, 'late@invite.example'))).raw).toBe(refusal);
    expect((await invitation(expiring)).status).toBe('EXPIRED');

    const revoked = (await invite('withdrawn@invite.example')).body.data.inviteStaffMember.invitation.id;
    const revoke = await call(REVOKE, { input: { invitationId: revoked } }, tokens.adminA);
    expect(revoke.body.data.revokeStaffInvitation).toMatchObject({
      invitation: { id: revoked, status: 'REVOKED', revokedAt: expect.any(String), revokedBy: { kind: 'INSTITUTION' } },
      userErrors: [],
    });
    // Revoking again changes nothing.
    const twice = await call(REVOKE, { input: { invitationId: revoked } }, tokens.adminA);
    expect(twice.body.data.revokeStaffInvitation.invitation).toEqual(revoke.body.data.revokeStaffInvitation.invitation);
    expect((await accept(await mailedInvitationToken(app, 'withdrawn@invite.example'))).raw).toBe(refusal);
    const [{ accounts }] = await app.dataSource.query(
      `SELECT count(*)::int AS accounts FROM user_account WHERE email = ANY($1)`,
      [['late@invite.example', 'withdrawn@invite.example']],
    );
    expect(accounts).toBe(0);
  });

  it('an email with an account elsewhere cannot accept; its invitation looks unanswered to the admin', async () => {
    const taken = (await invite('owner@mill.example')).body.data.inviteStaffMember.invitation.id;
    const unanswered = (await invite('silent@invite.example')).body.data.inviteStaffMember.invitation.id;
    const token = await mailedInvitationToken(app, 'owner@mill.example');
    const refused = await accept(token, 'the invitee chose this');
    expect(refused.body.data.acceptStaffInvitation).toEqual({
      account: null,
      userErrors: [
        {
          field: ['input', 'token'],
          message: 'This email already has an account; sign in with it',
          code: 'EMAIL_TAKEN',
        },
      ],
    });
    // Nothing changed: the owner's account is as it was, the invitation pending like one never answered.
    expect((await signIn('owner@mill.example', 'mill owner password')).token).toEqual(expect.any(String));
    expect((await signIn('owner@mill.example', 'the invitee chose this')).userErrors).toEqual([
      { code: 'INVALID_CREDENTIALS' },
    ]);
    const seen = async (id: string, email: string) => normalised(await call(INVITATION, { id }, tokens.adminA), email);
    expect(await seen(taken, 'owner@mill.example')).toBe(await seen(unanswered, 'silent@invite.example'));
    expect((await invitation(taken)).status).toBe('PENDING');
    // The token stays good for as long as the invitation: the answer stays the same.
    expect((await accept(token, 'the invitee chose this')).raw).toBe(refused.raw);
  });

  it('two accepts of one token at once create one account', async () => {
    await invite('race@invite.example');
    const token = await mailedInvitationToken(app, 'race@invite.example');
    const answers = await Promise.all([accept(token), accept(token), accept(token)]);
    const codes = answers.map((a) => a.body.data.acceptStaffInvitation.userErrors[0]?.code ?? 'OK').sort();
    expect(codes).toEqual(['INVALID_INVITATION', 'INVALID_INVITATION', 'OK']);
  });
});

describe('invitations as objects', () => {
  it('are seen by their institution’s admins and operators only; a foreign one answers as a missing one', async () => {
    const id = (await invite('seen@invite.example')).body.data.inviteStaffMember.invitation.id;
    expect((await invitation(id, tokens.adminA)).email).toBe('seen@invite.example');
    expect((await app.gql(INVITATION, { id }, 'operator')).data.node.email).toBe('seen@invite.example');
    for (const token of [tokens.adminB, tokens.officerA, tokens.officerB])
      expect(await invitation(id, token)).toBeNull();

    const list = await call(`{ staffInvitations(first: 100) { totalCount nodes { email } } }`, {}, tokens.adminB);
    expect(list.body.data.staffInvitations.nodes.map((n: any) => n.email)).toEqual(['officer@bank-b.example']);

    const missing = toGlobalId('StaffInvitation', '987654321');
    const foreign = await call(REVOKE, { input: { invitationId: id } }, tokens.adminB);
    const absent = await call(REVOKE, { input: { invitationId: missing } }, tokens.adminB);
    expect(foreign.body.errors[0].extensions.code).toBe('NOT_FOUND');
    expect(`${foreign.status} ${foreign.raw}`).toBe(`${absent.status} ${absent.raw}`);
    expect((await call(REVOKE, { input: { invitationId: id } }, tokens.officerA)).body.errors[0].extensions.code).toBe(
      'FORBIDDEN',
    );
    expect((await invitation(id)).status).toBe('PENDING');
  });
});

describe('signing in', () => {
  it('hashes once per attempt, whether the email is unknown, only invited, or has an account', async () => {
    await invite('invited-only@invite.example');
    const hashing = app.server.services.auth.hashing;
    const run = hashing.run.bind(hashing);
    let hashes = 0;
    hashing.run = ((...args: Parameters<typeof run>) => {
      hashes++;
      return run(...args);
    }) as typeof run;
    try {
      for (const [email, password] of [
        ['unknown@invite.example', 'some password here'],
        ['invited-only@invite.example', 'some password here'],
        ['officer@bank-a.example', 'not the password'],
        ['officer@bank-a.example', PASSWORD],
      ]) {
        hashes = 0;
        await signIn(email, password);
        expect({ email, password, hashes }).toEqual({ email, password, hashes: 1 });
      }
    } finally {
      hashing.run = run;
    }
  });
});

describe('the README', () => {
  it('holds at most MAX_PENDING_STAFF_INVITATIONS unanswered invitations per bank; revoking makes room', async () => {
    const admin = { email: 'adminC@invite.example', password: 'bank admin password' };
    await app.gql(
      operation('CreateInstitution'),
      { input: { name: '邀请银行C', type: 'BANK', regionsServed: ['230000'], admin } },
      'operator',
    );
    const adminC = (await signIn(admin.email, admin.password)).token!;
    const ids: string[] = [];
    for (let i = 0; i < MAX_PENDING_STAFF_INVITATIONS; i++) {
      const answer = await invite(`bulk${i}@invite.example`, adminC);
      expect(answer.body.data.inviteStaffMember.userErrors).toEqual([]);
      ids.push(answer.body.data.inviteStaffMember.invitation.id);
    }
    const mailBefore = Number((await app.dataSource.query(`SELECT count(*)::int AS n FROM mail_outbox`))[0].n);
    const refused = await invite('one-more@invite.example', adminC);
    expect(refused.body.data.inviteStaffMember.invitation).toBeNull();
    expect(refused.body.data.inviteStaffMember.userErrors).toEqual([
      expect.objectContaining({ code: 'TOO_MANY_PENDING_INVITATIONS', field: ['input', 'email'] }),
    ]);
    expect(refused.raw).not.toContain('one-more@invite.example');
    // Nothing was written: no invitation, no mail.
    expect(Number((await app.dataSource.query(`SELECT count(*)::int AS n FROM mail_outbox`))[0].n)).toBe(mailBefore);
    // Another institution is not affected, and a revoked invitation no longer counts.
    expect((await invite('elsewhere@invite.example', tokens.adminB)).body.data.inviteStaffMember.userErrors).toEqual(
      [],
    );
    await call(REVOKE, { input: { invitationId: ids[0] } }, adminC);
    expect((await invite('one-more@invite.example', adminC)).body.data.inviteStaffMember.userErrors).toEqual([]);
  });

  it('counts concurrent invitations under one lock: a burst past the bound gets exactly the bound', async () => {
    const admin = { email: 'adminD@invite.example', password: 'bank admin password' };
    await app.gql(
      operation('CreateInstitution'),
      { input: { name: '邀请银行D', type: 'BANK', regionsServed: ['230000'], admin } },
      'operator',
    );
    const adminD = (await signIn(admin.email, admin.password)).token!;
    const answers = await Promise.all(
      Array.from({ length: MAX_PENDING_STAFF_INVITATIONS + 5 }, (_, i) => invite(`burst${i}@invite.example`, adminD)),
    );
    const codes = answers.map((answer) => answer.body.data.inviteStaffMember.userErrors[0]?.code ?? 'INVITED');
    expect(codes.filter((code) => code === 'INVITED')).toHaveLength(MAX_PENDING_STAFF_INVITATIONS);
    expect(codes.filter((code) => code === 'TOO_MANY_PENDING_INVITATIONS')).toHaveLength(5);
  });

  it('invites and accepts as its section on staff shows', async () => {
    const readme = fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');
    const blocks = [...readme.matchAll(/```graphql\n([\s\S]*?)```/g)].map((match) => match[1]);
    const inviting = blocks.find((block) => block.includes('inviteStaffMember('))!;
    const accepting = blocks.find((block) => block.includes('acceptStaffInvitation('))!;
    const invited = await call(inviting, {}, tokens.adminA);
    expect(invited.body.data.inviteStaffMember).toMatchObject({ invitation: { status: 'PENDING' }, userErrors: [] });
    const email = invited.body.data.inviteStaffMember.invitation.email;
    const token = await mailedInvitationToken(app, email);
    const accepted = await call(accepting.replace('<TOKEN FROM THE EMAIL>', token), {});
    expect(accepted.body.data.acceptStaffInvitation).toMatchObject({
      account: { email, role: 'INSTITUTION_STAFF' },
      userErrors: [],
    });
  });
});
