import { Inject, Injectable, type ExecutionContext } from '@nestjs/common';
import type { GraphQLResolveInfo, GraphQLSchema } from 'graphql';
import type { GraphqlChargeWeigher } from '../common/graphql-charge';
import type { SecurityRequest } from '../common/security-principal';
import { operationCost, pricingOf, sourceCost, type CostPricing } from './operation-costs';
import { DEFAULTS } from './query-limits';

/** The pricing of a schema validated without `graphqlQueryLimits`: its defaults. */
const DEFAULT_PRICING: CostPricing = {
  assumedListSize: DEFAULTS.assumedListSize,
  maxCost: DEFAULTS.maxCost,
  maxTokens: DEFAULTS.maxTokens,
};

/** Injection token of the resolved `costPerUnit` of `GraphqlSecurityModule`. */
export const GRAPHQL_COST_PER_UNIT = Symbol('GRAPHQL_COST_PER_UNIT');

/**
 * Weighs a GraphQL HTTP request for the rate limit by what it costs, in the query limits' terms
 * (`@Cost`, list multipliers, `assumedListSize`): each operation `ceil(cost / costPerUnit)` units,
 * at least one, a batch the sum of its operations. The cost is the one validation computed for the
 * document; nothing is priced again per resolver.
 *
 * An operation is priced at most `maxCost` (the costliest one validation admits). In a batch, an
 * operation sent by hash only (an automatic persisted query, whose text the request does not carry)
 * is priced `maxCost`; one that does not parse, one unit (it runs nothing).
 */
@Injectable()
export class GraphqlCostWeigher implements GraphqlChargeWeigher {
  constructor(@Inject(GRAPHQL_COST_PER_UNIT) private readonly costPerUnit: number) {}

  unitsOf(request: SecurityRequest, context: ExecutionContext): number {
    const info = context.getArgByIndex<GraphQLResolveInfo | undefined>(3);
    // Not a resolver call (a hand-made context): one unit, as per request.
    if (info?.operation === undefined) return 1;
    const pricing = pricingOf(info.schema, DEFAULT_PRICING);
    const body = (request as { body?: unknown }).body;
    if (!Array.isArray(body)) {
      return this.units(operationCost(info.schema, info.operation, info.fragments, DEFAULT_PRICING), pricing);
    }
    let units = 0;
    for (const operation of body) units += this.operationUnits(info.schema, operation, pricing);
    return units;
  }

  /** One operation of a batch, as the JSON body gives it. */
  private operationUnits(schema: GraphQLSchema, operation: unknown, pricing: CostPricing): number {
    const { query, operationName } = (operation ?? {}) as { query?: unknown; operationName?: unknown };
    if (typeof query !== 'string') return this.units(pricing.maxCost, pricing);
    const name = typeof operationName === 'string' ? operationName : undefined;
    return this.units(sourceCost(schema, query, name, DEFAULT_PRICING) ?? 0, pricing);
  }

  private units(cost: number, pricing: CostPricing): number {
    return Math.max(1, Math.ceil(Math.min(cost, pricing.maxCost) / this.costPerUnit));
  }
}
