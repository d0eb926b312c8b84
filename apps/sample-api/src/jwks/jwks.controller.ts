import { Controller, Get, VERSION_NEUTRAL } from '@nestjs/common';
import { JwtKeyService, Public } from '@api-security/nestjs';
import type { JSONWebKeySet } from 'jose';

/** Public signing keys, so other services can verify this app's access tokens. */
@Controller({ path: '.well-known', version: VERSION_NEUTRAL })
export class JwksController {
  constructor(private readonly keys: JwtKeyService) {}

  @Public()
  @Get('jwks.json')
  jwks(): JSONWebKeySet {
    return this.keys.jwks();
  }
}
