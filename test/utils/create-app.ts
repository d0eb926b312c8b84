import type { INestApplication, ModuleMetadata } from '@nestjs/common';
import { VersioningType } from '@nestjs/common';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';

export type AdapterKind = 'express' | 'fastify';
export const ADAPTERS: readonly AdapterKind[] = ['express', 'fastify'];

/** Boots a real Nest application on the chosen adapter, as a user's main.ts would. */
export async function createApp(
  kind: AdapterKind,
  metadata: ModuleMetadata,
  configure?: (app: INestApplication) => void,
): Promise<INestApplication> {
  const ref = await Test.createTestingModule(metadata).compile();
  const app =
    kind === 'fastify'
      ? ref.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), { logger: false })
      : ref.createNestApplication({ logger: false });
  app.setGlobalPrefix('api');
  app.enableVersioning({ type: VersioningType.URI });
  configure?.(app);
  await app.init();
  if (kind === 'fastify') await (app as NestFastifyApplication).getHttpAdapter().getInstance().ready();
  return app;
}
