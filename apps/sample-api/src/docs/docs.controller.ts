import { Controller, Get, Header, VERSION_NEUTRAL } from '@nestjs/common';
import { ApiOkResponse } from '@nestjs/swagger';
import { Public } from '@api-security/nestjs';
import { OpenApiDocumentService } from './openapi-document.service';

/**
 * Serves the OpenAPI document as an ordinary route, so it gets the same headers, request id and
 * inventory entry as every other response. It is documented too: the inventory check allows no
 * undocumented route.
 *
 * The document is sent already serialized: its keys are schema and property names (`password`,
 * `refreshToken`), not fields of a resource, so it must not go through response projection and the
 * credential tripwire, which would rightly refuse a plain object with such keys.
 */
@Controller({ version: VERSION_NEUTRAL })
export class DocsController {
  private json: string | undefined;

  constructor(private readonly documents: OpenApiDocumentService) {}

  @Public()
  @Get('openapi.json')
  @Header('Content-Type', 'application/json; charset=utf-8')
  @ApiOkResponse({ description: 'This OpenAPI 3 document.', schema: { type: 'object' } })
  openapi(): string {
    // Built once at start-up and never changed afterwards: serialize it once.
    return (this.json ??= JSON.stringify(this.documents.get()));
  }
}
