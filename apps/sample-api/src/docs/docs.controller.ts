import { Controller, Get, VERSION_NEUTRAL } from '@nestjs/common';
import type { OpenAPIObject } from '@nestjs/swagger';
import { Public } from '@api-security/nestjs';
import { OpenApiDocumentService } from './openapi-document.service';

/**
 * Serves the OpenAPI document as an ordinary route, so it gets the same headers, request id and
 * inventory entry as every other response. It is documented too: the inventory check allows no
 * undocumented route.
 */
@Controller({ version: VERSION_NEUTRAL })
export class DocsController {
  constructor(private readonly documents: OpenApiDocumentService) {}

  @Public()
  @Get('openapi.json')
  openapi(): OpenAPIObject {
    return this.documents.get();
  }
}
