import { startServer } from '../src/server';
import { startTestApp, TestApp } from './support/app';

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app.close());

async function scrape(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; type: string | null; text: string }> {
  const response = await fetch(new URL('/metrics', url), { headers });
  return { status: response.status, type: response.headers.get('content-type'), text: await response.text() };
}

/** The value of one sample, by its name and labels as Prometheus prints them. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('/metrics', () => {
  it('counts requests by operation and outcome, latencies, refusals, login failures, pool, queues', async () => {
    const before = (await scrape(app.url)).text;
    const loginFailuresBefore = sample(before, 'credit_easy_loan_login_failures_total')!;
    expect((await app.gql('query CountInstitutions { institutions { totalCount } }', {}, 'operator')).status).toBe(200);
    expect((await app.gql('query CountInstitutions { institutions { totalCount } }', {}, 'operator')).status).toBe(200);
    const aliases = Array.from({ length: 31 }, (_, i) => `a${i}: __typename`).join(' ');
    expect((await app.gql(`query Greedy { ${aliases} }`)).status).toBe(400);
    const login = await app.gql(
      'mutation SignIn { login(input: { email: "nobody@example.com", password: "not the password" }) ' +
        '{ token userErrors { code } } }',
    );
    expect(login.data.login.userErrors[0].code).toBe('INVALID_CREDENTIALS');

    const { status, type, text } = await scrape(app.url);
    expect(status).toBe(200);
    expect(type).toMatch(/^text\/plain; version=0\.0\.4/);
    const metric = (name: string, labels: string) => sample(text, `credit_easy_loan_${name}{${labels}}`);
    const counted = 'operation="CountInstitutions",type="query",outcome="success"';
    expect(metric('graphql_requests_total', counted)).toBe(2);
    expect(metric('graphql_requests_total', 'operation="Greedy",type="query",outcome="refused"')).toBe(1);
    expect(metric('graphql_requests_total', 'operation="SignIn",type="mutation",outcome="success"')).toBe(1);
    expect(metric('graphql_request_duration_seconds_count', counted)).toBe(2);
    expect(metric('graphql_request_duration_seconds_bucket', `le="10",${counted}`)).toBe(2);
    expect(sample(text, 'credit_easy_loan_refusals_total{limit="aliases"}')).toBe(1);
    expect(sample(text, 'credit_easy_loan_login_failures_total')).toBe(loginFailuresBefore + 1);
    expect(sample(text, 'credit_easy_loan_db_pool_connections')).toBeGreaterThan(0);
    expect(sample(text, 'credit_easy_loan_db_pool_idle_connections')).toBeGreaterThanOrEqual(0);
    expect(sample(text, 'credit_easy_loan_db_pool_waiting_requests')).toBe(0);
    const [queues] = await app.dataSource.query(
      'SELECT (SELECT count(*) FROM matching_job WHERE finished_at IS NULL)::int AS jobs, ' +
        '(SELECT count(*) FROM stats_delta)::int AS deltas',
    );
    expect(sample(text, 'credit_easy_loan_matching_jobs_pending')).toBe(queues.jobs);
    expect(sample(text, 'credit_easy_loan_stats_deltas_pending')).toBe(queues.deltas);
    expect(sample(text, 'credit_easy_loan_expiry_sweeps_total{outcome="success"}') ?? 0).toBeGreaterThanOrEqual(0);
    expect(text).toMatch(/^process_cpu_user_seconds_total \d/m);
    expect(text).toMatch(/^nodejs_heap_size_used_bytes \d/m);
  });

  it('is off in production unless a token is configured, and then asks for it', async () => {
    const auth = { jwtSecret: 'x'.repeat(40), accessTokenTtlSeconds: 900 };
    const off = await startServer({ dataSource: app.dataSource, production: true, auth }, 0, '127.0.0.1');
    const token = 'metrics-token-0123456789';
    const guarded = await startServer(
      { dataSource: app.dataSource, production: true, auth, metrics: { enabled: true, token } },
      0,
      '127.0.0.1',
    );
    try {
      const offUrl = off.url.replace('localhost', '127.0.0.1');
      expect((await scrape(offUrl)).status).toBe(404);
      const url = guarded.url.replace('localhost', '127.0.0.1');
      const refused = await scrape(url);
      expect(refused.status).toBe(401);
      expect(refused.text).not.toMatch(/credit_easy_loan/);
      expect((await scrape(url, { authorization: 'Bearer wrong-token-0123456789' })).status).toBe(401);
      const allowed = await scrape(url, { authorization: `Bearer ${token}` });
      expect(allowed.status).toBe(200);
      expect(allowed.text).toMatch(/^credit_easy_loan_db_pool_connections \d+$/m);
    } finally {
      await off.stop();
      await guarded.stop();
    }
  });
});
