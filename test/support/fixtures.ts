import { usccCheckCharacter } from '../../src/common/reference/uscc';
import { postGraphQL, TestApp } from './app';
import { operation } from './operations';

let sequence = 0;

/** A valid USCC: 9 (工商), 1 (企业), region, an organisation code, and its check character. */
export function makeUscc(region = '230123'): string {
  sequence += 1;
  const body = `91${region}${String(Date.now() % 1e6).padStart(6, '0')}${String(sequence).padStart(3, '0')}`.slice(
    0,
    17,
  );
  return body + usccCheckCharacter(body);
}

export function enterpriseInput(overrides: Record<string, unknown> = {}) {
  return {
    uscc: makeUscc(),
    name: `依兰县稻米加工厂${sequence}`,
    regionCode: '230123',
    industryCode: 'C13',
    scale: 'SMALL',
    establishedOn: '2012-05-18',
    registeredCapital: '5000000.00',
    annualRevenue: '28000000.00',
    employees: 46,
    ...overrides,
  };
}

export function productInput(overrides: Record<string, unknown> = {}) {
  return {
    name: `稻米贷${++sequence}`,
    guaranteeType: 'CREDIT',
    minAmount: '100000.00',
    maxAmount: '3000000.00',
    minTermMonths: 6,
    maxTermMonths: 36,
    minRate: '3.85',
    maxRate: '6.00',
    eligibleRegions: ['230000'],
    eligibleIndustries: ['A', 'C'],
    eligibleScales: ['MICRO', 'SMALL'],
    ...overrides,
  };
}

export function requestInput(overrides: Record<string, unknown> = {}) {
  return {
    amount: '1130000.00',
    termMonths: 12,
    purpose: '收购稻谷流动资金 working capital for the rice harvest',
    acceptableGuaranteeTypes: ['CREDIT', 'GUARANTEE'],
    maxRate: '6.50',
    validUntil: '2099-12-31',
    ...overrides,
  };
}

async function expectPayload(
  app: TestApp,
  name: string,
  field: string,
  input: Record<string, unknown>,
  actor?: string,
) {
  const response = await app.gql(operation(name), { input }, actor);
  const root = response.data ? (Object.values(response.data)[0] as any) : undefined;
  if (response.errors || !root || root.userErrors.length) throw new Error(`${name} failed: ${response.raw}`);
  return root[field];
}

/** Registers an enterprise (an unverified claim on its USCC) without verifying it. */
export const registerEnterpriseClaim = (app: TestApp, overrides: Record<string, unknown> = {}) =>
  expectPayload(app, 'RegisterEnterprise', 'enterprise', enterpriseInput(overrides));

/** The platform operator verifies a registration (实名认证), as after reviewing its licence. */
export const verifyEnterprise = (app: TestApp, enterpriseId: string, evidence = '营业执照 reviewed (test fixture)') =>
  expectPayload(app, 'VerifyEnterprise', 'enterprise', { enterpriseId, evidence }, 'operator');

/** Registers an enterprise and has the operator verify it: an enterprise that may act for its USCC. */
export async function registerEnterprise(app: TestApp, overrides: Record<string, unknown> = {}) {
  const claim = await registerEnterpriseClaim(app, overrides);
  return { ...claim, ...(await verifyEnterprise(app, claim.id)) };
}

export const createInstitution = (app: TestApp, overrides: Record<string, unknown> = {}) =>
  expectPayload(
    app,
    'CreateInstitution',
    'institution',
    { name: `黑龙江测试银行${++sequence}`, type: 'BANK', regionsServed: ['230000'], ...overrides },
    'operator',
  );

export async function createPublishedProduct(
  app: TestApp,
  institutionId: string,
  overrides: Record<string, unknown> = {},
) {
  const product = await expectPayload(app, 'CreateLoanProduct', 'loanProduct', productInput(overrides), institutionId);
  return expectPayload(app, 'PublishLoanProduct', 'loanProduct', { loanProductId: product.id }, institutionId);
}

export const postRequest = (app: TestApp, enterpriseId: string, overrides: Record<string, unknown> = {}) =>
  expectPayload(app, 'PostFinancingRequest', 'financingRequest', requestInput(overrides), enterpriseId);

export const applyToProduct = (app: TestApp, enterpriseId: string, financingRequestId: string, loanProductId: string) =>
  expectPayload(app, 'ApplyToProduct', 'application', { financingRequestId, loanProductId }, enterpriseId);

export const acceptApplication = (app: TestApp, institutionId: string, applicationId: string) =>
  expectPayload(app, 'AcceptApplication', 'application', { applicationId }, institutionId);

export const grantCredit = (app: TestApp, institutionId: string, input: Record<string, unknown>) =>
  expectPayload(app, 'GrantCredit', 'creditGrant', input, institutionId);

/** Enterprise, institution, published product, request, application — ready for the institution to act. */
export async function submittedApplication(
  app: TestApp,
  options: { product?: Record<string, unknown>; request?: Record<string, unknown> } = {},
) {
  const enterprise = await registerEnterprise(app);
  const institution = await createInstitution(app);
  const product = await createPublishedProduct(app, institution.id, options.product);
  const request = await postRequest(app, enterprise.id, options.request);
  const application = await applyToProduct(app, enterprise.id, request.id, product.id);
  return { enterprise, institution, product, request, application };
}

export async function grantedApplication(
  app: TestApp,
  grant: { amount: string; annualRate?: string; termMonths?: number },
) {
  const context = await submittedApplication(app);
  await acceptApplication(app, context.institution.id, context.application.id);
  const creditGrant = await grantCredit(app, context.institution.id, {
    applicationId: context.application.id,
    amount: grant.amount,
    annualRate: grant.annualRate ?? '4.10',
    termMonths: grant.termMonths ?? 12,
  });
  return { ...context, creditGrant };
}

/** The token of the latest invitation mailed to `email`, read from the mail outbox as an operator would. */
export async function mailedInvitationToken(app: Pick<TestApp, 'server'>, email: string): Promise<string> {
  const pending = await app.server.services.mail.pendingFor(email);
  const token = /token: "([A-Za-z0-9_-]+)"/.exec(pending.at(-1)?.body ?? '')?.[1];
  if (!token) throw new Error(`No invitation mailed to ${email}`);
  return token;
}

/**
 * An institution admin (by access token) invites `email` and the invitee accepts from the mailbox with
 * `password`: how an institution's staff account comes to be.
 */
export async function inviteStaff(
  app: Pick<TestApp, 'url' | 'server'>,
  adminToken: string,
  email: string,
  password: string,
  options: { admin?: boolean } = {},
): Promise<{ invitationId: string; accountId: string }> {
  const bearer = { authorization: `Bearer ${adminToken}` };
  const input = { email, admin: options.admin ?? false };
  const invited = await postGraphQL(app.url, operation('InviteStaffMember'), { input }, bearer);
  const invitation = invited.data?.inviteStaffMember?.invitation;
  if (!invitation) throw new Error(`InviteStaffMember failed: ${invited.raw}`);
  const token = await mailedInvitationToken(app, email);
  const accepted = await postGraphQL(app.url, operation('AcceptStaffInvitation'), { input: { token, password } });
  const account = accepted.data?.acceptStaffInvitation?.account;
  if (!account) throw new Error(`AcceptStaffInvitation failed: ${accepted.raw}`);
  return { invitationId: invitation.id, accountId: account.id };
}
