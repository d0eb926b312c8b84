import { Controller, Get, ServiceUnavailableException, VERSION_NEUTRAL } from '@nestjs/common';
import { SkipThrottle } from '@nestjs/throttler';
import { Public } from '@api-security/nestjs';
import { DatabaseHealthService } from '../database/database-health.service';

/** Liveness and readiness: 200 once the database answers. */
@Controller({ path: 'health', version: VERSION_NEUTRAL })
export class HealthController {
  constructor(private readonly database: DatabaseHealthService) {}

  @Public()
  // Load balancers and orchestrators poll this from a few addresses; limiting them would take healthy instances out.
  @SkipThrottle()
  @Get()
  async health(): Promise<{ status: 'ok' }> {
    if (!(await this.database.isUp())) throw new ServiceUnavailableException('The database is not reachable.');
    return { status: 'ok' };
  }
}
