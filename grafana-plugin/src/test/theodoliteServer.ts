// A real Theodolite server for the jest suite: demo data in a temporary SQLite file, two project
// keys made with the CLI, `theodolite serve` on 127.0.0.1 with a free port. Runs in jest's
// globalSetup process; the tests read where it listens from the environment variables below.
import { ChildProcess, execFileSync, spawn } from 'child_process';
import fs from 'fs';
import net from 'net';
import os from 'os';
import path from 'path';

export const ENV_URL = 'GRAFANA_PLUGIN_TEST_SERVER_URL';
export const ENV_KEY = 'GRAFANA_PLUGIN_TEST_API_KEY';
/** The key of a second, empty project: its queries must see none of the demo's rows. */
export const ENV_OTHER_KEY = 'GRAFANA_PLUGIN_TEST_OTHER_API_KEY';

const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
const STARTUP_DEADLINE_MS = 60_000;

export interface RunningServer {
  process: ChildProcess;
  url: string;
  apiKey: string;
  otherApiKey: string;
  dir: string;
  log: () => string;
}

/** The interpreter that runs `-m theodolite`: the pytest that started jest passes its own. */
export const ENV_PYTHON = 'GRAFANA_PLUGIN_TEST_PYTHON';

function python(): string {
  const fromEnv = process.env[ENV_PYTHON];
  if (fromEnv) {
    return fromEnv;
  }
  const venvPython = path.join(REPO_ROOT, '.venv', 'bin', 'python');
  if (!fs.existsSync(venvPython)) {
    throw new Error(`${venvPython} is missing: run scripts/bootstrap-venv in the repository first`);
  }
  return venvPython;
}

function theodolite(args: string[]): string {
  return execFileSync(python(), ['-m', 'theodolite', ...args], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** `theodolite keys create` prints the secret once, on a line `secret key: ...`. */
function createKey(databaseUrl: string, project: string): string {
  const out = theodolite(['keys', 'create', '--database-url', databaseUrl, '--project', project, '--note', 'jest']);
  const match = /secret key:\s*(\S+)/.exec(out);
  if (!match) {
    throw new Error(`no secret in the output of theodolite keys create:\n${out}`);
  }
  return match[1];
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

async function waitUntilServing(server: RunningServer) {
  const deadline = Date.now() + STARTUP_DEADLINE_MS;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (server.process.exitCode !== null) {
      throw new Error(`theodolite serve exited with ${server.process.exitCode}:\n${server.log()}`);
    }
    try {
      const response = await fetch(`${server.url}/api/v1/health`, { signal: AbortSignal.timeout(2000) });
      if (response.ok) {
        return;
      }
      lastError = new Error(`health answered ${response.status}`);
    } catch (err) {
      lastError = err;
    }
    // Poll, never sleep blindly: the next try starts as soon as a short pause has passed.
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`theodolite serve did not answer within ${STARTUP_DEADLINE_MS} ms (${lastError}):\n${server.log()}`);
}

export async function startServer(): Promise<RunningServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'theodolite-grafana-plugin-'));
  const databaseUrl = `sqlite:///${path.join(dir, 'theodolite.db')}`;
  // Two days of 300 traces: small enough to write in about a second, big enough for every chart.
  theodolite(['demo', '--database-url', databaseUrl, '--days', '2', '--traces-per-day', '300', '--no-serve']);
  const apiKey = createKey(databaseUrl, 'default');
  const otherApiKey = createKey(databaseUrl, 'grafana-empty');

  const port = await freePort();
  const output: string[] = [];
  const child = spawn(
    python(),
    [
      '-m',
      'theodolite',
      'serve',
      '--database-url',
      databaseUrl,
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
      // One process: the machine is small and the suite only reads.
      '--decode-workers',
      '0',
      // No live demo batches: the tests compare figures of a fixed database.
      '--demo-live-interval-s',
      '0',
      '--log-level',
      'warning',
    ],
    { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] }
  );
  child.stdout?.on('data', (chunk) => output.push(String(chunk)));
  child.stderr?.on('data', (chunk) => output.push(String(chunk)));
  const server: RunningServer = {
    process: child,
    url: `http://127.0.0.1:${port}`,
    apiKey,
    otherApiKey,
    dir,
    log: () => output.join('').slice(-4000),
  };
  try {
    await waitUntilServing(server);
  } catch (err) {
    await stopServer(server);
    throw err;
  }
  return server;
}

/** SIGTERM (the server commits and exits), then SIGKILL if it is still there after 10 s. */
export async function stopServer(server: RunningServer) {
  const child = server.process;
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
  fs.rmSync(server.dir, { recursive: true, force: true });
}
