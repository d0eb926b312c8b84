import { VersioningType, type INestApplication, type LoggerService, type LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { AppModule } from './app.module';
import { APP_CONFIG, type AppConfig } from './config/app-config';
import { OpenApiDocumentService } from './docs/openapi-document.service';

/** Paths served outside `/api`, by standard. */
const UNPREFIXED = ['.well-known/jwks.json'];

export interface SampleAppOptions {
  logger?: LoggerService | LogLevel[] | false;
}

/**
 * Builds the sample app exactly as `npm start` runs it (prefix, versioning, body limit, proxy
 * trust, OpenAPI), without listening, so e2e tests exercise the real configuration.
 */
export async function createSampleApp(options: SampleAppOptions = {}): Promise<INestApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule, {
    logger: options.logger ?? ['log', 'warn', 'error'],
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

  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('sample-api')
      .setDescription('The api-security showcase: every OWASP API Security Top 10 (2023) risk, handled.')
      .setVersion('1.0.0')
      .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
      .build(),
  );
  app.get(OpenApiDocumentService).set(document);
  if (!config.production) {
    SwaggerModule.setup('api/docs', app, document, { raw: false });
  }
  await app.init();
  return app;
}
