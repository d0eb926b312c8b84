// Prints, as JSON, the routes the library protects (its inventory) and how the OpenAPI document
// compares with them, for the app as main.ts builds it.
import { NestFactory } from '@nestjs/core';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { RouteInventoryService } from '@api-security/nestjs';
import { checkOpenApiCoverage } from '@api-security/nestjs/swagger';
import { AppModule } from '../src/app.module.js';

const app = await NestFactory.create(AppModule, { logger: false });
const document = SwaggerModule.createDocument(app, new DocumentBuilder().setOpenAPIVersion('3.1.0').build());
await app.init();
const inventory = app
  .get(RouteInventoryService)
  .list()
  .map((route) => `${route.method} ${route.path} ${route.controller}.${route.handler}`);
process.stdout.write(JSON.stringify({ inventory, coverage: checkOpenApiCoverage(app, document) }));
await app.close();
