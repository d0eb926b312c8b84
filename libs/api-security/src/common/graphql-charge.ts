import type { ExecutionContext } from '@nestjs/common';
import type { SecurityRequest } from './security-principal';

/**
 * Prices one GraphQL HTTP request for the rate limit, in units of the configured tiers. The
 * security guard asks it once per HTTP request, when the request is charged (never per resolver).
 * `@api-security/nestjs/graphql` provides it (`GraphqlSecurityModule`), from the query cost the
 * query limits compute; the main entry point only knows this contract, so it never loads `graphql`.
 */
export interface GraphqlChargeWeigher {
  /**
   * Units to charge the HTTP request whose resolver runs under `context`: a positive integer, the
   * sum over the operations of a batch. Synchronous: the charge must not wait for anything else.
   */
  unitsOf(request: SecurityRequest, context: ExecutionContext): number;
}

/** Injection token of the {@link GraphqlChargeWeigher}; without one a GraphQL request costs its plan's `cost`. */
export const GRAPHQL_CHARGE_WEIGHER = Symbol.for('api-security:GraphqlChargeWeigher');
