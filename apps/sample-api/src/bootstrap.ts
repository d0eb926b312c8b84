import { VersioningType, type INestApplication, type LoggerService, type LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import {
  API_SECURITY_OPTIONS,
  checkDeployment,
  RedactingLogger,
  type ResolvedApiSecurityOptions,
} from '@api-security/nestjs';
import { enrichOpenApiDocument } from '@api-security/nestjs/swagger';
import { DataSource } from 'typeorm';
import { AppModule } from './app.module';
import { APP_CONFIG, type AppConfig } from './config/app-config';
import { OpenApiDocumentService } from './docs/openapi-document.service';

/** Paths served outside `/api`, by standard. */
const UNPREFIXED = ['.well-known/jwks.json'];

export interface SampleAppOptions {
  /** @default a {@link RedactingLogger} (JSON lines, secrets redacted) at log, warn and error */
  logger?: LoggerService | LogLevel[] | false;
}

/**
 * Builds the sample app exactly as `npm start` runs it (prefix, versioning, body limit, proxy
 * trust, OpenAPI), without listening, so e2e tests exercise the real configuration.
 */
export async function createSampleApp(options: SampleAppOptions = {}): Promise<INestApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule, {
    logger: options.logger ?? new RedactingLogger({ levels: ['log', 'warn', 'error', 'fatal'] }),
    bufferLogs: true,
    // Boot errors (bad env, failed migration) reach main.ts, which prints them without a stack.
    abortOnError: false,
  });
  const config = app.get<AppConfig>(APP_CONFIG);

  // X-Forwarded-* is ignored unless the operator says how many proxies (or which) to trust.
  app.set('trust proxy', config.trustProxy ?? false);
  app.disable('x-powered-by');
  app.useBodyParser('json', { limit: config.bodyLimitBytes });

  app.setGlobalPrefix('api', { exclude: UNPREFIXED });
  app.enableVersioning({ type: VersioningType.URI });
  app.enableShutdownHooks();

  const swaggerUi = !config.production;
  // Production refuses to start on an insecure setting (Swagger UI, synchronize, trust proxy true…).
  checkDeployment(app.get<ResolvedApiSecurityOptions>(API_SECURITY_OPTIONS), {
    swaggerUi,
    typeormSynchronize: app.get(DataSource).options.synchronize === true,
    trustProxy: config.trustProxy ?? false,
  });

  const documents = app.get(OpenApiDocumentService);
  documents.set(
    SwaggerModule.createDocument(
      app,
      new DocumentBuilder()
        .setOpenAPIVersion('3.1.0')
        .setTitle('sample-api')
        .setDescription('The api-security showcase: every OWASP API Security Top 10 (2023) risk, handled.')
        .setVersion('1.0.0')
        .build(),
    ),
  );
  if (swaggerUi) {
    SwaggerModule.setup('api/docs', app, () => documents.get(), { raw: false });
  }
  await app.init();
  // Route plans are compiled during init: the document then learns every route's security from them.
  enrichOpenApiDocument(app, documents.get());
  return app;
}
