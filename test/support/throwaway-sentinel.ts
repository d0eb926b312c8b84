import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { unusedPort } from './unused-port';

/** A Redis Sentinel child process of the test's own, monitoring one master under `name`. */
export interface ThrowawaySentinel {
  readonly port: number;
  readonly name: string;
  stop(): Promise<void>;
}

/**
 * Starts `redis-server --sentinel` (quorum 1) watching the master at 127.0.0.1:`masterPort`, and
 * waits until it names that master. Sentinel rewrites its configuration file, hence a temporary directory.
 */
export async function startThrowawaySentinel(masterPort: number, name = 'api-security'): Promise<ThrowawaySentinel> {
  const port = await unusedPort();
  const dir = await mkdtemp(join(tmpdir(), 'api-security-sentinel-'));
  const config = join(dir, 'sentinel.conf');
  await writeFile(config, `sentinel monitor ${name} 127.0.0.1 ${masterPort} 1\n`);
  const child: ChildProcess = spawn(
    'redis-server',
    [config, '--sentinel', '--port', String(port), '--bind', '127.0.0.1', '--daemonize', 'no', '--dir', dir],
    { stdio: 'ignore' },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    await rm(dir, { recursive: true, force: true });
  };
  for (let attempt = 0; attempt < 100; attempt++) {
    const probe = new Redis({
      port,
      host: '127.0.0.1',
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
    });
    probe.on('error', () => undefined);
    try {
      await probe.connect();
      const master = (await probe.call('SENTINEL', 'get-master-addr-by-name', name)) as [string, string] | null;
      if (master !== null && Number(master[1]) === masterPort) return { port, name, stop };
    } catch {
      // not up yet
    } finally {
      probe.disconnect();
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await stop();
  throw new Error(`redis-server --sentinel did not start on port ${port}.`);
}
