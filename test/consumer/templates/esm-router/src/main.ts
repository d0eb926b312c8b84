// Mounts Swagger UI the way docs/use-it-in-your-app.md says: document, setup, init, enrich.
import { NestFactory } from '@nestjs/core';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { enrichOpenApiDocument } from '@api-security/nestjs/swagger';
import { AppModule } from './app.module.js';

async function bootstrap() {
  const app = await NestFactory.create(AppModule);
  const document = SwaggerModule.createDocument(app, new DocumentBuilder().setOpenAPIVersion('3.1.0').build());
  if (process.env.NODE_ENV !== 'production') SwaggerModule.setup('api/docs', app, () => document);
  await app.init();
  enrichOpenApiDocument(app, document);
  await app.listen(process.env.PORT ?? 3000, '127.0.0.1');
  console.log(`ready on ${await app.getUrl()}`);
}
await bootstrap();
