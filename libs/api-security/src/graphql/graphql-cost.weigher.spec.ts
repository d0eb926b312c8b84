import type { ExecutionContext } from '@nestjs/common';
import {
  GraphQLInt,
  GraphQLList,
  GraphQLObjectType,
  GraphQLSchema,
  Kind,
  parse,
  specifiedRules,
  validate,
  type DocumentNode,
  type FragmentDefinitionNode,
  type OperationDefinitionNode,
} from 'graphql';
import type { SecurityRequest } from '../common/security-principal';
import { COST_EXTENSION } from './cost.decorator';
import { CostCounter } from './cost-counter';
import { GraphqlCostWeigher } from './graphql-cost.weigher';
import { graphqlQueryLimits } from './query-limits';

// Item { price } costs 4 each (@Cost(4)): items(first: n) { price } costs 1 + 4n.
const Item = new GraphQLObjectType({
  name: 'Item',
  fields: { price: { type: GraphQLInt, extensions: { [COST_EXTENSION]: 4 } }, n: { type: GraphQLInt } },
});
const query = new GraphQLObjectType({
  name: 'Query',
  fields: { items: { type: new GraphQLList(Item), args: { first: { type: GraphQLInt } } }, leaf: { type: GraphQLInt } },
});

/** A fresh schema per test: what a schema learnt stays with it. */
const newSchema = (): GraphQLSchema => new GraphQLSchema({ query });

/** What the guard passes: the request and a resolver's execution context (info is argument 3). */
function call(schema: GraphQLSchema, document: DocumentNode, body?: unknown): [SecurityRequest, ExecutionContext] {
  const operation = document.definitions.find(
    (definition): definition is OperationDefinitionNode => definition.kind === Kind.OPERATION_DEFINITION,
  );
  const fragments: Record<string, FragmentDefinitionNode> = {};
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments[definition.name.value] = definition;
  }
  const info = { schema, operation, fragments };
  const context = { getArgByIndex: (index: number) => (index === 3 ? info : undefined) } as ExecutionContext;
  const request = { headers: {}, method: 'POST', url: '/graphql', body } as SecurityRequest;
  return [request, context];
}

function validated(schema: GraphQLSchema, source: string, limits = {}): DocumentNode {
  const document = parse(source);
  expect(validate(schema, document, [...specifiedRules, ...graphqlQueryLimits(limits)])).toEqual([]);
  return document;
}

describe('GraphqlCostWeigher', () => {
  afterEach(() => jest.restoreAllMocks());

  it('charges ceil(cost / costPerUnit) units, at least one', () => {
    const schema = newSchema();
    const weigher = new GraphqlCostWeigher(5);
    // 1 + 4 × 4 = 17 → 4 units; a leaf costs 0 → still 1 unit.
    expect(weigher.unitsOf(...call(schema, validated(schema, '{ items(first: 4) { price } }')))).toBe(4);
    expect(weigher.unitsOf(...call(schema, validated(schema, '{ leaf }')))).toBe(1);
    expect(new GraphqlCostWeigher(1).unitsOf(...call(schema, validated(schema, '{ items(first: 4) { price } }')))).toBe(
      17,
    );
  });

  it('reads the cost validation computed: nothing is priced again when the request is charged', () => {
    const schema = newSchema();
    const document = validated(schema, '{ items(first: 4) { price } }');
    const pricing = jest.spyOn(CostCounter.prototype, 'operation');
    const weigher = new GraphqlCostWeigher(1);
    expect(weigher.unitsOf(...call(schema, document))).toBe(17);
    expect(weigher.unitsOf(...call(schema, document))).toBe(17);
    expect(pricing).not.toHaveBeenCalled();
  });

  it('prices once an operation validation never saw (a Mercurius subscription), with the schema’s limits', () => {
    const schema = newSchema();
    // The schema's rule ran once, with assumedListSize 3.
    validated(schema, '{ leaf }', { assumedListSize: 3 });
    const document = parse('{ items { price } }');
    const pricing = jest.spyOn(CostCounter.prototype, 'operation');
    const weigher = new GraphqlCostWeigher(1);
    // 1 + 3 × 4 = 13
    expect(weigher.unitsOf(...call(schema, document))).toBe(13);
    expect(weigher.unitsOf(...call(schema, document))).toBe(13);
    expect(pricing).toHaveBeenCalledTimes(1);
  });

  it('charges a batch the sum of its operations, each from its validation', () => {
    const schema = newSchema();
    const first = '{ items(first: 4) { price } }';
    const second = 'query A { leaf } query B { items(first: 1) { price } }';
    validated(schema, first);
    validated(schema, second);
    const pricing = jest.spyOn(CostCounter.prototype, 'operation');
    const body = [{ query: first }, { query: second, operationName: 'B' }, { query: second, operationName: 'A' }];
    // 17 + 5 + max(1, 0)
    expect(new GraphqlCostWeigher(1).unitsOf(...call(schema, parse(first), body))).toBe(17 + 5 + 1);
    expect(pricing).not.toHaveBeenCalled();
  });

  it('prices a batch operation it has not seen from its text, and caps every operation at maxCost', () => {
    const schema = newSchema();
    validated(schema, '{ leaf }', { maxCost: 50 });
    const body = [
      { query: '{ items(first: 2) { price } }' }, // 9, parsed now
      { query: '{ items(first: 1000) { price } }' }, // 4001, over maxCost: 50
      { query: '{ not graphql' }, // does not parse: runs nothing, one unit
      { extensions: { persistedQuery: { sha256Hash: 'abc' } } }, // text unknown: maxCost
    ];
    expect(new GraphqlCostWeigher(1).unitsOf(...call(schema, parse('{ leaf }'), body))).toBe(9 + 50 + 1 + 50);
  });
});
