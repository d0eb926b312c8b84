import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import type { OpenAPIObject } from '@nestjs/swagger';
import { RouteInventoryService, type RouteInventoryEntry } from '@api-security/nestjs';
import { checkOpenApiCoverage, type OpenApiCoverage } from '@api-security/nestjs/swagger';
import { createSampleApp } from '../apps/sample-api/src/bootstrap';
import { OpenApiDocumentService } from '../apps/sample-api/src/docs/openapi-document.service';

/** What the scripts need from the sample app, read without listening. */
export interface SampleAppFacts {
  document: OpenAPIObject;
  /** How the served routes and the documented operations differ (both empty when they match). */
  coverage: OpenApiCoverage;
  inventory: RouteInventoryEntry[];
}

/**
 * Boots the sample app as `npm start` would, but on an in-memory SQLite database and in-memory
 * state whatever the environment says (routes and documentation do not depend on them) and without
 * a listener; reads its OpenAPI document and route inventory, and closes it.
 */
export async function readSampleApp(): Promise<SampleAppFacts> {
  delete process.env.DATABASE_URL;
  delete process.env.REDIS_URL;
  process.env.SQLITE_PATH = ':memory:';
  // Only errors: the scripts' output is the document or the table.
  const app: INestApplication = await createSampleApp({ logger: ['error'] });
  try {
    const document = app.get(OpenApiDocumentService).get();
    return {
      document,
      coverage: checkOpenApiCoverage(app, document),
      inventory: app.get(RouteInventoryService).list(),
    };
  } finally {
    await app.close();
  }
}
