import type { INestApplication, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';

/**
 * Boots `module` on the adapter named in argv[2], listens on an ephemeral 127.0.0.1 port and prints
 * one JSON line `{ port, ...extra }` for the runner.
 */
export async function serve(
  module: Type,
  extra: (app: INestApplication) => Promise<Record<string, unknown>> = async () => ({}),
): Promise<void> {
  const kind = process.argv[2] === 'fastify' ? 'fastify' : 'express';
  const app: INestApplication =
    kind === 'fastify'
      ? await NestFactory.create(module, new FastifyAdapter(), { logger: false })
      : await NestFactory.create(module, { logger: false });
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address() as { port: number };
  process.stdout.write(`${JSON.stringify({ port: address.port, ...(await extra(app)) })}\n`);
}
