import { spawn, type ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import { unusedPort } from './unused-port';

/** A redis-server child process of the test's own, on a free port, with no persistence. */
export interface ThrowawayRedis {
  readonly url: string;
  stop(): Promise<void>;
}

/**
 * Starts `redis-server` with extra arguments (e.g. `--maxmemory-policy allkeys-lru`) and waits until it
 * answers. A free port can be taken by a parallel suite before the child binds it: then the child exits
 * and whatever holds the port (another suite's Redis, with another policy) would answer the probe. So
 * the probe must meet this child (`INFO server`'s `process_id`), else another port is tried.
 */
export async function startThrowawayRedis(args: readonly string[] = []): Promise<ThrowawayRedis> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const started = await startOn(await unusedPort(), args);
    if (started) return started;
  }
  throw new Error('redis-server did not start on a port of its own after 5 attempts.');
}

async function startOn(port: number, args: readonly string[]): Promise<ThrowawayRedis | undefined> {
  const child: ChildProcess = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no', ...args],
    { stdio: 'ignore' },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `redis://127.0.0.1:${port}`;
  const running = (): boolean => child.exitCode === null && child.signalCode === null;
  const stop = async (): Promise<void> => {
    if (running()) child.kill('SIGTERM');
    await exited;
  };
  for (let probeAttempt = 0; probeAttempt < 100 && running(); probeAttempt++) {
    const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false });
    probe.on('error', () => undefined);
    try {
      await probe.connect();
      const pid = /^process_id:(\d+)/m.exec(await probe.info('server'))?.[1];
      if (Number(pid) === child.pid) return { url, stop };
      break; // another process holds the port
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 50));
    } finally {
      probe.disconnect();
    }
  }
  await stop();
  return undefined;
}
