import fs from 'node:fs';

export default async function globalTeardown() {
  const server = globalThis.__embeddedPostgres;
  if (server) {
    await server.stop();
    fs.rmSync(globalThis.__embeddedPostgresDir, { recursive: true, force: true });
  }
}
