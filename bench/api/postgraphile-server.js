'use strict';
/**
 * PostGraphile 4.14 over the same database, for bench:api: the tables of `public` as its generated
 * GraphQL API (relations from the foreign keys), plus bench_postgraphile.platform_totals() for the
 * totals workload. Production options: no GraphiQL, no query log, no watch. It has no accounts and
 * no access rules, so it does less per request than the API it is compared with.
 */
const http = require('node:http');
const { postgraphile } = require('postgraphile');

const { Pool } = require('pg');

// A pool as large as the other servers'.
const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.POOL_SIZE ?? 10) });
const middleware = postgraphile(pool, ['public', 'bench_postgraphile'], {
  graphqlRoute: '/graphql',
  graphiql: false,
  watchPg: false,
  disableQueryLog: true,
  retryOnInitFail: false,
  dynamicJson: true,
  setofFunctionsContainNulls: false,
  ignoreRBAC: false,
  legacyRelations: 'omit',
  extendedErrors: [],
  showErrorStack: false,
  enableQueryBatching: false,
});

const server = http.createServer(middleware);
server.keepAliveTimeout = 65_000;
server.listen(Number(process.env.PORT), '127.0.0.1', () => console.log('ready'));
