import type { INestApplication, ModuleMetadata } from '@nestjs/common';
import { VersioningType } from '@nestjs/common';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';

export type AdapterKind = 'express' | 'fastify';
export const ADAPTERS: readonly AdapterKind[] = ['express', 'fastify'];

/** Adapter settings a test may need; both adapters get the same meaning. */
export interface AdapterOptions {
  /** Trust `X-Forwarded-*` from any proxy (Express `trust proxy`, Fastify `trustProxy`). */
  trustProxy?: boolean;
}

/** Boots a real Nest application on the chosen adapter, as a user's main.ts would. */
export async function createApp(
  kind: AdapterKind,
  metadata: ModuleMetadata,
  configure?: (app: INestApplication) => void,
  adapter: AdapterOptions = {},
): Promise<INestApplication> {
  const ref = await Test.createTestingModule(metadata).compile();
  const app =
    kind === 'fastify'
      ? ref.createNestApplication<NestFastifyApplication>(
          new FastifyAdapter(adapter.trustProxy ? { trustProxy: true } : undefined),
          { logger: false },
        )
      : ref.createNestApplication({ logger: false });
  if (kind === 'express' && adapter.trustProxy) app.getHttpAdapter().getInstance().set('trust proxy', true);
  app.setGlobalPrefix('api');
  app.enableVersioning({ type: VersioningType.URI });
  configure?.(app);
  await app.init();
  if (kind === 'fastify') await (app as NestFastifyApplication).getHttpAdapter().getInstance().ready();
  return app;
}
