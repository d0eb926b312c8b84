import { spawn, type ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import { unusedPort } from './unused-port';

/** A redis-server child process of the test's own, on a free port, with no persistence. */
export interface ThrowawayRedis {
  readonly url: string;
  stop(): Promise<void>;
}

/** Starts `redis-server` with extra arguments (e.g. `--maxmemory-policy allkeys-lru`) and waits until it answers. */
export async function startThrowawayRedis(args: readonly string[] = []): Promise<ThrowawayRedis> {
  const port = await unusedPort();
  const child: ChildProcess = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no', ...args],
    { stdio: 'ignore' },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `redis://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  for (let attempt = 0; attempt < 100; attempt++) {
    const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false });
    probe.on('error', () => undefined);
    try {
      await probe.connect();
      await probe.ping();
      return { url, stop };
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 50));
    } finally {
      probe.disconnect();
    }
  }
  await stop();
  throw new Error(`redis-server did not start on port ${port}.`);
}
