import type { Provider } from '@nestjs/common';
import { FlowOutcomeInterceptor } from './flow-outcome.interceptor';
import { FlowStep } from './flow.step';
import { ProofOfWorkService } from './proof-of-work.service';
import { VelocityService } from './velocity.service';

/**
 * The security guard's sensitive-flow step and its services, registered (and exported) by
 * ApiSecurityModule: the app injects `ProofOfWorkService` in its challenge route.
 */
export const FLOW_PROVIDERS: Provider[] = [VelocityService, ProofOfWorkService, FlowStep, FlowOutcomeInterceptor];
