export { ProblemDetailsFilter } from './problem-details.filter';
export { HardeningMiddleware } from './hardening.middleware';
export { SecurityHeadersService } from './security-headers.service';
export { REQUEST_ID_HEADER } from './request-id';
export { parseByteSize } from './byte-size';
export { checkDeployment, findMisconfigurations } from './misconfiguration.check';
export type { DeploymentCheckOptions, DeploymentFacts } from './misconfiguration.check';
