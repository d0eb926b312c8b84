import { Body, Controller, Get, Post } from '@nestjs/common';
import {
  CurrentPrincipal,
  Owns,
  ProofOfWorkService,
  SensitiveFlow,
  type IssuedChallenge,
  type SecurityPrincipal,
} from '@api-security/nestjs';
import { CheckoutDto } from './checkout.dto';
import { CheckoutService, type CheckoutView } from './checkout.service';

/** The flow's name: its challenges, counters and policy (see CheckoutModule) are keyed by it. */
export const CHECKOUT_FLOW = 'checkout';

/**
 * OWASP API6 (unrestricted access to sensitive business flows): a checkout needs a fresh solved
 * proof-of-work challenge issued to the caller, and each user gets `CHECKOUT_MAX_PER_HOUR`
 * successful checkouts per hour (counted across instances, exactly, even under concurrency).
 * The numbers come from the environment through `provideFlowPolicy` in CheckoutModule.
 */
@Controller({ path: 'checkout', version: '1' })
export class CheckoutController {
  constructor(
    private readonly proofOfWork: ProofOfWorkService,
    private readonly checkouts: CheckoutService,
  ) {}

  @Get('challenge')
  challenge(@CurrentPrincipal() principal: SecurityPrincipal): Promise<IssuedChallenge> {
    return this.proofOfWork.issue(principal, CHECKOUT_FLOW);
  }

  @Post()
  @Owns('order', { body: 'orderId', bypassRoles: [] })
  @SensitiveFlow(CHECKOUT_FLOW, { perPrincipal: '5/3600s', count: 'successes', challenge: { difficulty: 4 } })
  checkout(@Body() body: CheckoutDto): Promise<CheckoutView> {
    return this.checkouts.checkout(body.orderId);
  }
}
