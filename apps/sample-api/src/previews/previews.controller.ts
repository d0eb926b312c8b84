import { Body, Controller, HttpCode, Post, Req } from '@nestjs/common';
import { CurrentPrincipal, eventContext, type SecurityPrincipal, type SecurityRequest } from '@api-security/nestjs';
import { CreatePreviewDto } from './create-preview.dto';
import { PreviewsService, type PreviewView } from './previews.service';

/** Link previews for signed-in users; refused URLs answer 400 and are recorded as `outbound.refused`. */
@Controller({ path: 'previews', version: '1' })
export class PreviewsController {
  constructor(private readonly previews: PreviewsService) {}

  @Post()
  @HttpCode(200)
  create(
    @CurrentPrincipal() principal: SecurityPrincipal,
    @Body() body: CreatePreviewDto,
    @Req() request: SecurityRequest,
  ): Promise<PreviewView> {
    return this.previews.preview(body.url, { ...eventContext(request), principalId: principal.id });
  }
}
