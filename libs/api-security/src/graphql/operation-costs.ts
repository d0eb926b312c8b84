import {
  Kind,
  parse,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import { CostCounter } from './cost-counter';

/*
 * The cost of each operation, computed once per document by the query limits' validation rule and
 * read when the request is charged (never recomputed per resolver). Operations are remembered by
 * their AST node: the drivers execute the very document they validated, and keep it across requests
 * in their own caches, which then skip validation but hand out the same nodes. The batch of an HTTP
 * request is known only as text (its JSON body), so each schema also remembers the costs of its
 * latest documents by source text.
 */

/** How a schema's operations are priced: the limits its validation rule was given. */
export interface CostPricing {
  readonly assumedListSize: number;
  readonly maxCost: number;
  readonly maxTokens: number;
}

/** Costs of a document's operations, by name ('' for an anonymous one). */
type DocumentCosts = ReadonlyMap<string, number>;

interface SchemaCosts {
  readonly pricing: CostPricing;
  /** Latest documents by source text; insertion order, the oldest dropped first. */
  readonly sources: Map<string, DocumentCosts>;
}

/** Documents remembered by source text per schema: enough for the batches in flight. */
const MAX_SOURCES = 256;

const operations = new WeakMap<OperationDefinitionNode, number>();
const schemas = new WeakMap<GraphQLSchema, SchemaCosts>();

function schemaCosts(schema: GraphQLSchema, fallback: CostPricing): SchemaCosts {
  let costs = schemas.get(schema);
  if (costs === undefined) {
    costs = { pricing: fallback, sources: new Map() };
    schemas.set(schema, costs);
  }
  return costs;
}

/** The pricing recorded for the schema by its validation rule, else `fallback` (the limits' defaults). */
export function pricingOf(schema: GraphQLSchema, fallback: CostPricing): CostPricing {
  return schemas.get(schema)?.pricing ?? fallback;
}

/** Called by the validation rule: the cost it computed for one operation. */
export function recordOperationCost(operation: OperationDefinitionNode, cost: number): void {
  operations.set(operation, cost);
}

/** Called by the validation rule once every operation of a document is priced. */
export function recordDocumentCosts(schema: GraphQLSchema, document: DocumentNode, pricing: CostPricing): void {
  const source = document.loc?.source.body;
  if (source === undefined) return;
  const costs = new Map<string, number>();
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
    const cost = operations.get(definition);
    // An operation left unpriced (too deep) fails validation: the document never runs.
    if (cost === undefined) return;
    costs.set(definition.name?.value ?? '', cost);
  }
  remember(schemaCosts(schema, pricing).sources, source, costs);
}

function remember(sources: Map<string, DocumentCosts>, source: string, costs: DocumentCosts): void {
  if (sources.has(source)) return;
  if (sources.size >= MAX_SOURCES) sources.delete(sources.keys().next().value as string);
  sources.set(source, costs);
}

/**
 * The cost of the operation a resolver runs in: the one its validation computed, else (a document
 * never validated with the query limits, such as a Mercurius subscription) computed now, once.
 */
export function operationCost(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  fragments: Readonly<Record<string, FragmentDefinitionNode>>,
  fallback: CostPricing,
): number {
  const known = operations.get(operation);
  if (known !== undefined) return known;
  const pricing = pricingOf(schema, fallback);
  const cost = new CostCounter(schema, new Map(Object.entries(fragments)), pricing.assumedListSize).operation(
    operation,
  );
  operations.set(operation, cost);
  return cost;
}

/**
 * The cost of the operation `operationName` of a document given as text (one operation of a
 * batch): remembered from its validation, else parsed and priced now. Undefined when the text does
 * not parse or names no such operation (the driver refuses that operation before any resolver).
 */
export function sourceCost(
  schema: GraphQLSchema,
  source: string,
  operationName: string | undefined,
  fallback: CostPricing,
): number | undefined {
  const costs = schemaCosts(schema, fallback);
  let document = costs.sources.get(source);
  if (document === undefined) {
    document = priceSource(schema, source, costs.pricing);
    if (document === undefined) return undefined;
    remember(costs.sources, source, document);
  }
  if (operationName !== undefined) return document.get(operationName);
  // Without a name, the document must hold exactly one operation.
  if (document.size !== 1) return undefined;
  return document.values().next().value as number;
}

function priceSource(schema: GraphQLSchema, source: string, pricing: CostPricing): DocumentCosts | undefined {
  let document: DocumentNode;
  try {
    document = parse(source, { noLocation: true, maxTokens: pricing.maxTokens });
  } catch {
    return undefined;
  }
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const counter = new CostCounter(schema, fragments, pricing.assumedListSize);
  const costs = new Map<string, number>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.OPERATION_DEFINITION) {
      costs.set(definition.name?.value ?? '', counter.operation(definition));
    }
  }
  return costs;
}
