import { startServer, RunningServer } from '../../src/server';
import { TestApp } from './app';

export interface ProductionServer {
  server: RunningServer;
  url: string;
  /** POSTs an operation with `Authorization: Bearer <token>` when a token is given. */
  call(
    query: string,
    variables?: Record<string, unknown>,
    token?: string | null,
  ): Promise<{ status: number; body: any; headers: Headers }>;
  login(email: string, password: string): Promise<any>;
  stop(): Promise<void>;
}

export const LOGIN = `mutation($input: LoginInput!) {
  login(input: $input) { token expiresAt refreshToken account { id email role } userErrors { code message field } }
}`;

/** A second server on the test app's database, with NODE_ENV=production behaviour (no X-Actor, tokens only). */
export async function startProductionServer(
  app: TestApp,
  options: { identityAssertionKey?: string; accessTokenTtlSeconds?: number } = {},
): Promise<ProductionServer> {
  const auth = { jwtSecret: 'p'.repeat(40), accessTokenTtlSeconds: 900, ...options };
  const server = await startServer({ dataSource: app.dataSource, production: true, auth }, 0, '127.0.0.1');
  const url = server.url.replace('localhost', '127.0.0.1');
  const call = async (query: string, variables: Record<string, unknown> = {}, token?: string | null) => {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    return { status: response.status, body: (await response.json()) as any, headers: response.headers };
  };
  return {
    server,
    url,
    call,
    login: async (email, password) => (await call(LOGIN, { input: { email, password } })).body.data.login,
    stop: () => server.stop(),
  };
}
