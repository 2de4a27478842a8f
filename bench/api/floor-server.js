'use strict';
/**
 * The floor for bench:api: a bare node:http + pg server answering the benchmark's questions with
 * hand-written SQL and JSON.stringify — no GraphQL, no auth, no validation, no limits. What an API
 * could do at best on this machine; ours is measured against it.
 */
const http = require('node:http');
const { Pool } = require('pg');

const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.POOL_SIZE ?? 10) });

// The page size is written into the statement (a checked integer), and ORDER BY names the column
// r.id, not the text output "id": either slip turns the index read into a sort of every open need.
const pageSize = (size) => (Number.isInteger(size) && size >= 1 && size <= 100 ? size : 50);

const flatList = async (size) =>
  (
    await pool.query({
      name: `flat-${pageSize(size)}`,
      text: `SELECT id::text, amount::text, term_months, status, posted_at FROM financing_request r
        WHERE status = 'OPEN' ORDER BY r.id LIMIT ${pageSize(size)}`,
    })
  ).rows;

async function nestedList(size) {
  const requests = (
    await pool.query({
      name: `nested-requests-${pageSize(size)}`,
      text: `SELECT id::text, amount::text, term_months, status, enterprise_id::text FROM financing_request r
        WHERE status = 'OPEN' ORDER BY r.id LIMIT ${pageSize(size)}`,
    })
  ).rows;
  const enterpriseIds = [...new Set(requests.map((r) => r.enterprise_id))];
  const [enterprises, matches] = await Promise.all([
    pool.query({
      name: 'nested-enterprises',
      text: `SELECT e.id::text, e.name, p.score, p.grade FROM enterprise e LEFT JOIN credit_profile p
        ON p.enterprise_id = e.id WHERE e.id = ANY($1::bigint[])`,
      values: [enterpriseIds],
    }),
    pool.query({
      name: 'nested-matches',
      text: `SELECT r.id::text AS request_id, m.match_score::text, m.quoted_rate::text, lp.id::text AS product_id,
        lp.name AS product_name, i.id::text AS institution_id, i.name AS institution_name
             FROM unnest($1::bigint[]) r(id)
             CROSS JOIN LATERAL (SELECT * FROM product_match m WHERE m.financing_request_id = r.id
               ORDER BY m.match_score DESC, m.loan_product_id LIMIT 5) m
             JOIN loan_product lp ON lp.id = m.loan_product_id JOIN institution i ON i.id = lp.institution_id
             ORDER BY r.id, m.match_score DESC, m.loan_product_id`,
      values: [requests.map((r) => r.id)],
    }),
  ]);
  const enterpriseById = new Map(
    enterprises.rows.map((e) => [
      e.id,
      { id: e.id, name: e.name, creditProfile: e.score === null ? null : { score: e.score, grade: e.grade } },
    ]),
  );
  const matchesByRequest = new Map();
  for (const m of matches.rows) {
    const list = matchesByRequest.get(m.request_id) ?? [];
    list.push({
      rank: list.length + 1,
      matchScore: m.match_score,
      quotedRate: m.quoted_rate,
      loanProduct: {
        id: m.product_id,
        name: m.product_name,
        institution: { id: m.institution_id, name: m.institution_name },
      },
    });
    matchesByRequest.set(m.request_id, list);
  }
  return requests.map((r) => ({
    id: r.id,
    amount: r.amount,
    termMonths: r.term_months,
    status: r.status,
    enterprise: enterpriseById.get(r.enterprise_id),
    matches: matchesByRequest.get(r.id) ?? [],
  }));
}

const oneRequest = async (id) =>
  (
    await pool.query({
      name: 'node',
      text: `SELECT id::text, amount::text, term_months, status, posted_at FROM financing_request WHERE id = $1`,
      values: [id],
    })
  ).rows[0] ?? null;

const totals = async () =>
  (
    await pool.query({
      name: 'totals',
      text: `SELECT measure, count::text, amount::text FROM bench_postgraphile.platform_totals()`,
    })
  ).rows;

const postNeed = async (body) =>
  (
    await pool.query({
      name: 'post',
      text: `INSERT INTO financing_request (enterprise_id, amount, term_months, purpose, acceptable_guarantee_types,
        max_rate, valid_until, status)
           VALUES ($1, $2, $3, $4, $5::guarantee_type[], $6, $7, 'OPEN') RETURNING id::text, amount::text, status`,
      values: [
        body.enterpriseId,
        body.amount,
        body.termMonths,
        body.purpose,
        body.acceptableGuaranteeTypes,
        body.maxRate,
        body.validUntil,
      ],
    })
  ).rows[0];

function readBody(req) {
  return new Promise((resolve, reject) => {
    let data = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => (data += chunk));
    req.on('end', () => resolve(data));
    req.on('error', reject);
  });
}

const server = http.createServer(async (req, res) => {
  try {
    const url = new URL(req.url, 'http://floor');
    const size = Number(url.searchParams.get('first') ?? 50);
    let result;
    if (url.pathname === '/requests') result = await flatList(size);
    else if (url.pathname === '/requests/nested') result = await nestedList(size);
    else if (url.pathname.startsWith('/requests/')) result = await oneRequest(url.pathname.slice('/requests/'.length));
    else if (url.pathname === '/totals') result = await totals();
    else if (url.pathname === '/typename') result = { __typename: 'Query' };
    else if (url.pathname === '/post' && req.method === 'POST')
      result = await postNeed(JSON.parse(await readBody(req)));
    else {
      res.writeHead(404).end();
      return;
    }
    const body = JSON.stringify({ data: result });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
  } catch {
    res.writeHead(500, { 'content-type': 'text/plain' }).end('error');
  }
});
server.keepAliveTimeout = 65_000;
server.listen(Number(process.env.PORT), '127.0.0.1', () => console.log('ready'));
