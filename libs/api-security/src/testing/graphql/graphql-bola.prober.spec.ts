import { aliasRootFields, unalias } from './alias-document';
import { fakeGraphqlServer, type FakeAnswer } from './fake-graphql-server.spec-fixture';
import { probeGraphqlBola } from './graphql-bola.prober';
import type { GraphqlOperation } from './graphql-client';

const A = { Authorization: 'Bearer a' };
const B = { Authorization: 'Bearer b' };
const ORDER = { id: 'A1', secret: 'alpha-secret' };

/** Answers `order` with A's order to A and, when `leaky`, to everyone; aliases and batches included. */
function server(leaky: boolean, batching = true): FakeAnswer {
  const one = (operation: GraphqlOperation, caller: string | undefined) => {
    const allowed = leaky || caller === A.Authorization;
    const keys = [...operation.query.matchAll(/(\w+): order|(?<![\w:] )\border\(/g)].map((m) => m[1] ?? 'order');
    const data = Object.fromEntries((keys.length ? keys : ['order']).map((key) => [key, allowed ? ORDER : null]));
    return allowed ? { data } : { data, errors: [{ message: 'Not found', extensions: { code: 'ERR_NOT_FOUND' } }] };
  };
  return (body, headers) => {
    if (Array.isArray(body)) {
      if (!batching) return { status: 400, body: { errors: [{ message: 'no batching' }] } };
      return { body: body.map((op: GraphqlOperation) => one(op, headers.authorization)) };
    }
    return { body: one(body as GraphqlOperation, headers.authorization) };
  };
}

const QUERY = { name: 'order by id', query: '{ order(id: "A1") { id secret } }' };

describe('aliasRootFields', () => {
  it('selects each root field twice under suffixed aliases, keeping existing aliases as the key', () => {
    expect(aliasRootFields('{ order(id: "A1") { id } mine: order(id: "B1") { id } }').replace(/\s+/g, ' ')).toBe(
      '{ order__bola0: order(id: "A1") { id } order__bola1: order(id: "A1") { id } mine__bola0: order(id: "B1") { id } mine__bola1: order(id: "B1") { id } }',
    );
    expect(unalias('order__bola1')).toBe('order');
    expect(unalias('order')).toBe('order');
  });
});

describe('probeGraphqlBola', () => {
  it('reports nothing when B only gets nulls and errors, for every variant', async () => {
    const report = await probeGraphqlBola(fakeGraphqlServer(server(false)), { owner: A, other: B, queries: [QUERY] });
    expect(report.findings).toEqual([]);
    expect(report.probed).toEqual(['order by id (direct)', 'order by id (aliases)', 'order by id (batch)']);
  });

  it('reports every path B receives and A’s strings in B’s body, per variant', async () => {
    const report = await probeGraphqlBola(fakeGraphqlServer(server(true)), { owner: A, other: B, queries: [QUERY] });
    const byVariant = (variant: string) => report.findings.filter((f) => f.variant === variant);
    for (const variant of ['direct', 'aliases', 'batch']) {
      expect(
        byVariant(variant)
          .map((f) => f.path)
          .filter(Boolean)
          .sort(),
      ).toEqual(['order.id', 'order.secret']);
      expect(byVariant(variant).some((f) => /contains one of A's values \("alp"…\)/.test(f.message))).toBe(true);
    }
    expect(JSON.stringify(report)).not.toContain('alpha-secret');
  });

  it('lets public paths through and skips batches on a server without batching', async () => {
    const report = await probeGraphqlBola(fakeGraphqlServer(server(true, false)), {
      owner: A,
      other: B,
      queries: [{ ...QUERY, publicPaths: ['order.id'] }],
    });
    expect(report.findings.map((f) => f.path).filter(Boolean)).toEqual(['order.secret', 'order.secret']);
    expect(report.skipped).toEqual([
      { query: 'order by id', variant: 'batch', reason: 'the server does not answer batches (status 400)' },
    ]);
  });

  it('reports a control read that returns nothing, and sends nothing as B then', async () => {
    let calls = 0;
    const empty = fakeGraphqlServer(() => {
      calls++;
      return { body: { data: { order: null } } };
    });
    const report = await probeGraphqlBola(empty, { owner: A, other: B, queries: [QUERY] });
    expect(report.findings).toEqual([expect.objectContaining({ variant: 'control', as: 'owner' })]);
    expect(calls).toBe(1);
  });

  it('finds given secrets in B’s errors', async () => {
    const chatty = fakeGraphqlServer(() => ({
      body: { data: { order: null }, errors: [{ message: 'order of alice@example.com is not yours' }] },
    }));
    const report = await probeGraphqlBola(chatty, {
      owner: A,
      other: B,
      queries: [QUERY],
      control: false,
      variants: ['direct'],
      secrets: ['alice@example.com'],
    });
    expect(report.findings).toEqual([
      expect.objectContaining({ variant: 'direct', message: expect.stringMatching(/"ali"/) }),
    ]);
  });
});
