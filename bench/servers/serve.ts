import type { INestApplication, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';

/** What a server answers when the runner asks, over IPC, how much CPU it has used so far. */
export interface ServerStats {
  /** process.cpuUsage(): user and system CPU time in microseconds. */
  readonly cpu: NodeJS.CpuUsage;
  /** Requests the HTTP server received so far (the load generator's count misses those in flight). */
  readonly requests: number;
  /** Monotonic clock in microseconds, the clock of `--cpu-prof` timestamps (bench/profile.ts). */
  readonly monotonicMicros: number;
  /** Store round trips so far, where the server counts them. */
  readonly roundTrips?: number;
}

/**
 * Boots `module` on the adapter named in argv[2], listens on an ephemeral 127.0.0.1 port and prints
 * one JSON line `{ port, ...extra }` for the runner. When started with an IPC channel, it answers
 * each `'stats'` message with its {@link ServerStats}: the runner reads the server's own CPU time
 * before and after a sample, so load-generator noise stays out of the per-request figure.
 */
export async function serve(
  module: Type,
  extra: (app: INestApplication) => Promise<Record<string, unknown>> = async () => ({}),
  stats: (app: INestApplication) => Omit<ServerStats, 'cpu' | 'requests' | 'monotonicMicros'> = () => ({}),
): Promise<void> {
  const kind = process.argv[2] === 'fastify' ? 'fastify' : 'express';
  const app: INestApplication =
    kind === 'fastify'
      ? await NestFactory.create(module, new FastifyAdapter(), { logger: false })
      : await NestFactory.create(module, { logger: false });
  await app.listen(0, '127.0.0.1');
  const server = app.getHttpServer() as import('node:http').Server;
  const address = server.address() as { port: number };
  let requests = 0;
  server.prependListener('request', () => {
    requests++;
  });
  // A normal exit on SIGINT, so that `--cpu-prof` (bench/profile.ts) writes its profile.
  process.once('SIGINT', () => process.exit(0));
  const send = process.send?.bind(process);
  if (send) {
    process.on('message', (message) => {
      if (message === 'stats')
        send({
          cpu: process.cpuUsage(),
          requests,
          monotonicMicros: Number(process.hrtime.bigint() / 1000n),
          ...stats(app),
        } satisfies ServerStats);
    });
  }
  process.stdout.write(`${JSON.stringify({ port: address.port, ...(await extra(app)) })}\n`);
}
