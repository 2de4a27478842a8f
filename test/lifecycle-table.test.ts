import { parseGlobalId } from '../src/common/global-id';
import { Actor } from '../src/common/actor';
import { BusinessRuleError } from '../src/common/errors';
import { FinancingRequestStatus } from '../src/financing/financing-request.entity';
import {
  derivedStatusSql,
  deriveRequestStatus,
  FINANCING_REQUEST_LIFECYCLE,
  followAllowedSql,
  requestMayMove,
  requestStepFrom,
} from '../src/financing/financing-request.lifecycle';
import { refreshFinancingRequestStatus } from '../src/financing/financing-request.service';
import { ApplicationStatus } from '../src/lending/application.entity';
import { ApplicationEventType } from '../src/lending/application-event.entity';
import { APPLICATION_LIFECYCLE, APPLICATION_TRANSITIONS, eventOfMoveTo } from '../src/lending/application.lifecycle';
import { CREDIT_GRANT_LIFECYCLE } from '../src/lending/credit-grant.lifecycle';
import { startTestApp, TestApp } from './support/app';
import {
  applyToProduct,
  createInstitution,
  createPublishedProduct,
  makeUscc,
  postRequest,
  registerEnterprise,
  registerEnterpriseClaim,
} from './support/fixtures';
import { operation } from './support/operations';

/**
 * The lifecycle tables (src/financing/financing-request.lifecycle.ts, src/lending/application.lifecycle.ts,
 * src/lending/credit-grant.lifecycle.ts) are the one definition of every status change: the set-based paths
 * (the status a need derives from its applications, the expiry sweeps, the withdrawal of a need's
 * applications) are checked here against them, for every status, on rows written straight into the database
 * in states the services would not produce.
 */

const REQUEST_STATUSES = Object.values(FinancingRequestStatus);
const APPLICATION_STATUSES = Object.values(ApplicationStatus);
const raw = (id: string) => parseGlobalId(id)!.id;

/** Every multiset of application statuses with at most `size` members (statuses from `first` on). */
function multisets(size: number, first = 0): ApplicationStatus[][] {
  if (size === 0) return [[]];
  const larger = APPLICATION_STATUSES.slice(first).flatMap((status, offset) =>
    multisets(size - 1, first + offset).map((rest) => [status, ...rest]),
  );
  return [[], ...larger.filter((set, index) => larger.findIndex((other) => other.join() === set.join()) === index)];
}

let app: TestApp;
let enterpriseId: string;
let institutionId: string;
let productIds: string[];
let templateRequestId: string;
const enterprise = (): Actor => ({ kind: 'ENTERPRISE', enterpriseId, verified: true });

beforeAll(async () => {
  app = await startTestApp();
  const company = await registerEnterprise(app);
  const bank = await createInstitution(app);
  enterpriseId = raw(company.id);
  institutionId = raw(bank.id);
  const products = [];
  for (const _ of APPLICATION_STATUSES) products.push(await createPublishedProduct(app, bank.id));
  productIds = products.map((product) => raw(product.id));
  templateRequestId = raw((await postRequest(app, company.id)).id);
});
afterAll(async () => {
  await app?.close();
});

/** A need in `status` (a copy of the posted one), valid until `validUntil`: its ID. */
async function needIn(status: FinancingRequestStatus, validUntil = '2099-12-31'): Promise<string> {
  const [row] = await app.dataSource.query(
    `INSERT INTO financing_request (enterprise_id, amount, term_months, purpose, acceptable_guarantee_types, max_rate,
       valid_until, status)
     SELECT enterprise_id, amount, term_months, purpose, acceptable_guarantee_types, max_rate, $2, $3
     FROM financing_request WHERE id = $1 RETURNING id::text`,
    [templateRequestId, validUntil, status],
  );
  return row.id;
}

/** Applications of the need in `statuses` (one per product), due by `deadline`: their IDs in order. */
async function applicationsIn(requestId: string, statuses: readonly ApplicationStatus[], deadline = '2099-12-31') {
  const ids: string[] = [];
  for (const [index, status] of statuses.entries()) {
    const [row] = await app.dataSource.query(
      `INSERT INTO application (financing_request_id, loan_product_id, institution_id, enterprise_id, status, origin,
         response_deadline)
       VALUES ($1, $2, $3, $4, $5, 'ENTERPRISE_APPLIED', $6) RETURNING id::text`,
      [requestId, productIds[index], institutionId, enterpriseId, status, deadline],
    );
    ids.push(row.id);
  }
  return ids;
}

const statusesOf = async (table: string, ids: string[]): Promise<string[]> => {
  const rows = await app.dataSource.query(`SELECT id::text, status::text FROM ${table} WHERE id = ANY($1::bigint[])`, [
    ids,
  ]);
  const byId = new Map(rows.map((row: any) => [row.id, row.status]));
  return ids.map((id) => byId.get(id) as string);
};

describe('the lifecycle tables', () => {
  it('name a step, its actors and its audit for every status change, and every status is reachable', () => {
    const reached = new Set(FINANCING_REQUEST_LIFECYCLE.flatMap((step) => step.to));
    expect([...reached].sort()).toEqual([...REQUEST_STATUSES].sort());
    for (const step of FINANCING_REQUEST_LIFECYCLE) expect(step.by.length && step.via && step.audit).toBeTruthy();
    const reachedApplications = new Set(Object.values(APPLICATION_LIFECYCLE).map((step) => step.to));
    expect([...reachedApplications].sort()).toEqual([...APPLICATION_STATUSES].sort());
    // Every move to one status writes one event type, whichever step makes it.
    for (const step of Object.values(APPLICATION_LIFECYCLE).filter((s) => s.from.length > 0))
      expect(eventOfMoveTo(step.to)).toBe(step.event);
    expect(APPLICATION_TRANSITIONS[ApplicationStatus.DISBURSED]).toEqual([ApplicationStatus.DISBURSED]);
    expect(APPLICATION_TRANSITIONS[ApplicationStatus.EXPIRED]).toEqual([]);
  });
});

describe("a need's status derived in SQL", () => {
  it('is the TypeScript derivation for every status and every set of up to three application statuses', async () => {
    const combinations = REQUEST_STATUSES.flatMap((current) =>
      multisets(3).map((applications) => ({ current, applications })),
    );
    const values: string[] = [];
    const params: unknown[] = [];
    combinations.forEach(({ current, applications }, combination) => {
      for (const application of applications.length ? applications : [null]) {
        params.push(combination, current, application);
        const n = params.length;
        values.push(`($${n - 2}::int, $${n - 1}::financing_request_status, $${n}::application_status)`);
      }
    });
    const rows: Array<{ combination: number; derived: string; allowed: boolean }> = await app.dataSource.query(
      `SELECT combination, derived::text, ${followAllowedSql('current', 'derived')} AS allowed
       FROM (SELECT combination, current, ${derivedStatusSql('current', 'application')} AS derived
             FROM (VALUES ${values.join(', ')}) v(combination, current, application)
             GROUP BY combination, current) s
       ORDER BY combination`,
      params,
    );
    expect(rows).toHaveLength(combinations.length);
    const expected = combinations.map(({ current, applications }, combination) => {
      const derived = deriveRequestStatus(current, applications);
      return { combination, derived, allowed: requestMayMove('FOLLOW', current, derived) };
    });
    expect(rows).toEqual(expected);
  });

  it('moves each need of refreshFinancingRequestStatus exactly as the table lets it, and no other', async () => {
    const cases: Array<{ id: string; current: FinancingRequestStatus; applications: ApplicationStatus[] }> = [];
    for (const current of REQUEST_STATUSES) {
      for (const applications of multisets(2)) {
        const id = await needIn(current);
        await applicationsIn(id, applications);
        cases.push({ id, current, applications });
      }
    }
    const ids = cases.map((c) => c.id);
    await app.dataSource.transaction((manager) => refreshFinancingRequestStatus(manager, ids));
    const expected = cases.map(({ current, applications }) => {
      const derived = deriveRequestStatus(current, applications);
      return requestMayMove('FOLLOW', current, derived) ? derived : current;
    });
    expect(await statusesOf('financing_request', ids)).toEqual(expected);
    // The refusals are real: a need expired (or withdrawn) stays so while its applications are only open.
    const expiredWithAccepted = cases.findIndex(
      (c) => c.current === 'EXPIRED' && c.applications.join() === ApplicationStatus.ACCEPTED,
    );
    expect(expected[expiredWithAccepted]).toBe('EXPIRED');
  });
});

describe('the expiry sweep of needs past their validUntil', () => {
  it('expires, with an audit event each, only the needs in a status the table expires from', async () => {
    const ids: string[] = [];
    for (const status of REQUEST_STATUSES) ids.push(await needIn(status, '2098-01-01'));
    expect(await app.server.services.financing.expireLapsedRequests('2098-01-02')).toBe(
      requestStepFrom('EXPIRE').length,
    );
    const expected = REQUEST_STATUSES.map((status) =>
      requestMayMove('EXPIRE', status, FinancingRequestStatus.EXPIRED) ? 'EXPIRED' : status,
    );
    expect(await statusesOf('financing_request', ids)).toEqual(expected);
    const events = await app.dataSource.query(
      `SELECT financing_request_id::text AS id, actor, from_status::text, to_status::text FROM financing_request_event
       WHERE financing_request_id = ANY($1::bigint[]) ORDER BY financing_request_id`,
      [ids],
    );
    expect(events).toEqual(
      REQUEST_STATUSES.flatMap((status, index) =>
        requestMayMove('EXPIRE', status, FinancingRequestStatus.EXPIRED)
          ? [{ id: ids[index], actor: 'SYSTEM', from_status: status, to_status: 'EXPIRED' }]
          : [],
      ),
    );
  });
});

describe('the response-deadline sweep of applications', () => {
  it('expires, with an EXPIRED event each, only the applications the table expires from', async () => {
    const need = await needIn(FinancingRequestStatus.APPLIED);
    const ids = await applicationsIn(need, APPLICATION_STATUSES, '2097-01-01');
    expect(await app.server.services.lending.expireOverdueApplications(new Date('2097-01-02T00:00:00Z'))).toBe(
      APPLICATION_LIFECYCLE.EXPIRE.from.length,
    );
    const expected = APPLICATION_STATUSES.map((status) =>
      APPLICATION_LIFECYCLE.EXPIRE.from.includes(status) ? 'EXPIRED' : status,
    );
    expect(await statusesOf('application', ids)).toEqual(expected);
    const events = await app.dataSource.query(
      `SELECT application_id::text AS id, type::text, actor, from_status::text FROM application_event
       WHERE application_id = ANY($1::bigint[]) ORDER BY application_id`,
      [ids],
    );
    expect(events).toEqual(
      APPLICATION_STATUSES.flatMap((status, index) =>
        APPLICATION_LIFECYCLE.EXPIRE.from.includes(status)
          ? [{ id: ids[index], type: 'EXPIRED', actor: 'SYSTEM', from_status: status }]
          : [],
      ),
    );
  });
});

describe('withdrawing a need', () => {
  it('withdraws only the applications the table lets go, and lapses only their pending grants', async () => {
    // A need still OPEN with an application in every status: only the table decides which follow it.
    const need = await needIn(FinancingRequestStatus.OPEN);
    const ids = await applicationsIn(need, APPLICATION_STATUSES);
    const accepted = ids[APPLICATION_STATUSES.indexOf(ApplicationStatus.ACCEPTED)];
    const granted = ids[APPLICATION_STATUSES.indexOf(ApplicationStatus.CREDIT_GRANTED)];
    await app.dataSource.query(
      `INSERT INTO credit_grant (application_id, financing_request_id, amount, annual_rate, term_months, status,
         proposed_by, approved_at)
       VALUES ($1, $3, 1000, 4.1, 12, 'PENDING_APPROVAL', 'INSTITUTION:1', NULL),
         ($2, $3, 1000, 4.1, 12, 'APPROVED', 'INSTITUTION:1', now())`,
      [accepted, granted, need],
    );
    const withdrawn = await app.server.services.lending.withdrawFinancingRequest(enterprise(), {
      financingRequestId: need,
    });
    expect(withdrawn.status).toBe('WITHDRAWN');
    const step = APPLICATION_LIFECYCLE.WITHDRAW_WITH_REQUEST;
    expect(await statusesOf('application', ids)).toEqual(
      APPLICATION_STATUSES.map((status) => (step.from.includes(status) ? 'WITHDRAWN' : status)),
    );
    const events = await app.dataSource.query(
      `SELECT application_id::text AS id, type::text FROM application_event
       WHERE application_id = ANY($1::bigint[]) ORDER BY id`,
      [ids],
    );
    expect(events).toEqual([
      ...APPLICATION_STATUSES.flatMap((status, index) =>
        step.from.includes(status) ? [{ id: ids[index], type: ApplicationEventType.WITHDRAWN }] : [],
      ),
      { id: accepted, type: CREDIT_GRANT_LIFECYCLE.LAPSE.event },
    ]);
    const grants = await app.dataSource.query(
      `SELECT application_id::text AS id, status::text FROM credit_grant WHERE financing_request_id = $1`,
      [need],
    );
    expect(grants).toEqual([{ id: granted, status: 'APPROVED' }]);
  });

  it('is refused from every status the table does not withdraw from, with what to do', async () => {
    for (const status of REQUEST_STATUSES) {
      const need = await needIn(status);
      const attempt = app.server.services.lending.withdrawFinancingRequest(enterprise(), { financingRequestId: need });
      if (requestMayMove('WITHDRAW', status, FinancingRequestStatus.WITHDRAWN)) {
        expect((await attempt).status).toBe('WITHDRAWN');
        continue;
      }
      const error = await attempt.catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BusinessRuleError);
      expect((error as BusinessRuleError).code).toBe(
        status === 'WITHDRAWN' ? 'INVALID_TRANSITION' : 'REQUEST_HAS_CREDIT',
      );
      expect(await statusesOf('financing_request', [need])).toEqual([status]);
    }
  });
});

describe('an operator moving a USCC to another registration', () => {
  const REASSIGN = `mutation($input: ReassignEnterpriseIdentityInput!) {
    reassignEnterpriseIdentity(input: $input) { userErrors { code } } }`;

  it("withdraws the revoked registration's needs, expired ones too, recorded as the operator's steps", async () => {
    const uscc = makeUscc();
    const impostor = await registerEnterprise(app, { uscc });
    const bank = await createInstitution(app);
    const product = await createPublishedProduct(app, bank.id);
    const open = await postRequest(app, impostor.id);
    const expired = await postRequest(app, impostor.id);
    const openApplication = await applyToProduct(app, impostor.id, open.id, product.id);
    const expiredApplication = await applyToProduct(app, impostor.id, expired.id, product.id);
    // As the sweep leaves it once its validUntil passed: the submitted application runs on.
    await app.dataSource.query(`UPDATE financing_request SET status = 'EXPIRED' WHERE id = $1`, [raw(expired.id)]);
    const company = await registerEnterpriseClaim(app, { uscc });

    const input = { fromEnterpriseId: impostor.id, toEnterpriseId: company.id, evidence: 'the licence was forged' };
    const moved = await app.gql(REASSIGN, { input }, 'operator');
    expect(moved.data.reassignEnterpriseIdentity.userErrors).toEqual([]);

    for (const application of [openApplication, expiredApplication]) {
      const trail = (await app.gql(operation('ApplicationTrail'), { id: application.id }, 'operator')).data.node;
      expect(trail.status).toBe('WITHDRAWN');
      expect(trail.financingRequest.status).toBe('WITHDRAWN');
      expect(trail.events.nodes.at(-1)).toMatchObject({
        type: 'WITHDRAWN',
        actor: { kind: 'OPERATOR', enterprise: null },
        toStatus: 'WITHDRAWN',
      });
    }
    const needEvents = await app.dataSource.query(
      `SELECT actor, from_status::text, to_status::text FROM financing_request_event
       WHERE financing_request_id = ANY($1::bigint[]) ORDER BY financing_request_id`,
      [[raw(open.id), raw(expired.id)]],
    );
    expect(needEvents).toEqual([
      { actor: 'OPERATOR', from_status: 'APPLIED', to_status: 'WITHDRAWN' },
      { actor: 'OPERATOR', from_status: 'EXPIRED', to_status: 'WITHDRAWN' },
    ]);
  });
});
