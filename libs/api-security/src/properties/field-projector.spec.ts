import { Logger, StreamableFile } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { Readable } from 'node:stream';
import type { SecurityPrincipal } from '../common/security-principal';
import { ErrorCode } from '../errors/codes';
import { SecurityException } from '../errors/security.exception';
import { DEFAULT_CREDENTIAL_FIELDS } from './credential-fields';
import { CredentialTripwire } from './credential.tripwire';
import { FieldProjector } from './field-projector';
import { Hidden } from './hidden.decorator';
import { OwnedBy } from './owned-by.decorator';
import { PrincipalRoles } from '../authorization/principal-roles';
import { ProjectionCompiler } from './projection.compiler';
import { ResponseModel } from './response-model.decorator';
import { DEFAULT_ROLE_HIERARCHY } from '../authorization/roles.options';
import { VisibleTo } from './visible-to.decorator';

class Address {
  @VisibleTo('authenticated') city!: string;
  @VisibleTo('admin') geo!: string;
  constructor(city: string, geo: string) {
    this.city = city;
    this.geo = geo;
  }
}

@OwnedBy('ownerId')
class Account {
  @VisibleTo('public') id!: string;
  @VisibleTo('owner', 'admin') email!: string;
  @VisibleTo('admin') notes!: string;
  @Hidden() passwordHash!: string;
  @VisibleTo('authenticated') createdAt!: Date;
  @VisibleTo('authenticated') address?: Address;
  @VisibleTo('authenticated') previous?: Address[];
  @VisibleTo('authenticated') nickname?: string | null;
  ownerId!: string;
  secret = 'undecorated';

  constructor(init: Partial<Account>) {
    Object.assign(this, init);
  }
}

class Untagged {
  password = 'p';
  token = 't';
}

const user = (id: string, roles = ['user']): SecurityPrincipal => ({ id, roles, authMethod: 'test', scopes: [] });
const ALICE = user('alice');
const ADMIN = user('root', ['admin']);

function account(id: string, extra: Partial<Account> = {}): Account {
  return new Account({
    id,
    email: `${id}@example.com`,
    notes: `notes ${id}`,
    passwordHash: `hash-${id}`,
    createdAt: new Date(Date.UTC(2026, 0, 2, 3, 4, 5)),
    ownerId: id,
    ...extra,
  });
}

function tripwire(mode: 'strict' | 'warn' = 'strict', names = DEFAULT_CREDENTIAL_FIELDS): CredentialTripwire {
  return new CredentialTripwire({ audit: { mode }, credentialFields: { names, allow: [] } });
}

describe('FieldProjector', () => {
  let compiler: ProjectionCompiler;
  let projector: FieldProjector;
  beforeEach(() => {
    compiler = new ProjectionCompiler(new Reflector());
    projector = new FieldProjector(
      compiler,
      new PrincipalRoles({ roles: { hierarchy: DEFAULT_ROLE_HIERARCHY } }),
      tripwire(),
    );
  });

  it('turns an instance into a new plain object of the allowed fields, Dates as ISO strings', () => {
    const source = account('alice');
    const out = projector.project(source, ALICE);
    expect(out).toEqual({ id: 'alice', email: 'alice@example.com', createdAt: '2026-01-02T03:04:05.000Z' });
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
  });

  it('hides owner fields from a non-owner and shows role fields to the role', () => {
    expect(projector.project(account('bob'), ALICE)).toEqual({ id: 'bob', createdAt: '2026-01-02T03:04:05.000Z' });
    expect(projector.project(account('bob'), ADMIN)).toEqual({
      id: 'bob',
      email: 'bob@example.com',
      notes: 'notes bob',
      createdAt: '2026-01-02T03:04:05.000Z',
    });
  });

  it('shows an anonymous caller public fields only', () => {
    expect(projector.project(account('alice'), undefined)).toEqual({ id: 'alice' });
  });

  it('projects nested instances and arrays of instances inside instances', () => {
    const source = account('alice', {
      address: new Address('Paris', '48.85,2.35'),
      previous: [new Address('Lyon', 'x'), new Address('Nice', 'y'), new Address('Lille', 'z')],
    });
    expect(projector.project(source, ALICE)).toMatchObject({
      address: { city: 'Paris' },
      previous: [{ city: 'Lyon' }, { city: 'Nice' }, { city: 'Lille' }],
    });
    expect(JSON.stringify(projector.project(source, ALICE))).not.toMatch(/geo|48\.85/);
    expect((projector.project(source, ADMIN) as { address: unknown }).address).toEqual({
      city: 'Paris',
      geo: '48.85,2.35',
    });
  });

  it('projects arrays of instances, deciding ownership per item', () => {
    expect(projector.project([account('alice'), account('bob')], ALICE)).toEqual([
      { id: 'alice', email: 'alice@example.com', createdAt: '2026-01-02T03:04:05.000Z' },
      { id: 'bob', createdAt: '2026-01-02T03:04:05.000Z' },
    ]);
  });

  it('keeps paginated envelopes and plain wrappers, projecting the instances inside', () => {
    const envelope = { items: [account('bob')], total: 1, meta: { page: 1, owner: account('alice') } };
    expect(projector.project(envelope, ALICE)).toEqual({
      items: [{ id: 'bob', createdAt: '2026-01-02T03:04:05.000Z' }],
      total: 1,
      meta: { page: 1, owner: { id: 'alice', email: 'alice@example.com', createdAt: '2026-01-02T03:04:05.000Z' } },
    });
  });

  it('passes plain data through unchanged, as the same objects', () => {
    const plain = { a: 1, list: [1, 2, { b: 'c' }], nested: { d: null, e: undefined } };
    const out = projector.project(plain, ALICE) as typeof plain;
    expect(out).toBe(plain);
    expect(out.list).toBe(plain.list);
    const dictionary = Object.assign(Object.create(null) as Record<string, unknown>, { k: 'v' });
    expect(projector.project(dictionary, undefined)).toBe(dictionary);
  });

  it('passes primitives, null and undefined through', () => {
    for (const value of [null, undefined, 0, 'text', true, 10n]) expect(projector.project(value, ALICE)).toBe(value);
    expect(projector.project({ a: null, b: undefined }, ALICE)).toEqual({ a: null, b: undefined });
  });

  it('never mutates what the handler returned', () => {
    const inner = account('bob', { address: new Address('Paris', 'geo') });
    const source = { items: [inner], total: 1 };
    const snapshot = JSON.stringify(source);
    const out = projector.project(source, ALICE) as { items: unknown[] };
    expect(out).not.toBe(source);
    expect(out.items).not.toBe(source.items);
    expect(JSON.stringify(source)).toBe(snapshot);
    expect(source.items[0]).toBe(inner);
    expect(inner).toBeInstanceOf(Account);
    expect(inner.passwordHash).toBe('hash-bob');
  });

  it('sends nothing of an instance whose class has no visibility metadata, and says so once', () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    projector.project([new Untagged(), new Untagged()], ADMIN);
    projector.project(new Untagged(), ALICE);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('Untagged has no @VisibleTo'));
    expect(projector.project(new Untagged(), ADMIN)).toEqual({});
    expect(projector.project({ wrapper: new Untagged() }, ADMIN)).toEqual({ wrapper: {} });
    expect(projector.project(new Map([['k', 'v']]), ADMIN)).toEqual({});
    warn.mockRestore();
  });

  it('serializes value types through a primitive toJSON, and nothing else through it', () => {
    class Money {
      constructor(private readonly cents: number) {}
      toJSON(): string {
        return (this.cents / 100).toFixed(2);
      }
    }
    class Leaky {
      password = 'p';
      toJSON(): object {
        return { password: this.password };
      }
    }
    expect(projector.project({ price: new Money(1234), when: new Date(0) }, ALICE)).toEqual({
      price: '12.34',
      when: '1970-01-01T00:00:00.000Z',
    });
    expect(projector.project(new Leaky(), ADMIN)).toEqual({});
    expect(projector.project({ invalid: new Date(Number.NaN) }, ALICE)).toEqual({ invalid: null });
  });

  it('applies class defaults to undecorated own properties, nested instances still projected', () => {
    @ResponseModel({ defaultVisibility: 'authenticated' })
    class Product {
      @VisibleTo('admin') cost = 5;
      @Hidden() supplierKey = 'k';
      name = 'Chair';
      warehouse = new Address('Paris', 'geo');
    }
    expect(projector.project(new Product(), undefined)).toEqual({});
    expect(projector.project(new Product(), ALICE)).toEqual({ name: 'Chair', warehouse: { city: 'Paris' } });
    expect(projector.project(new Product(), ADMIN)).toEqual({
      cost: 5,
      name: 'Chair',
      warehouse: { city: 'Paris', geo: 'geo' },
    });
  });

  it('leaves binary values and streams alone', () => {
    const buffer = Buffer.from('bytes');
    const file = new StreamableFile(Buffer.from('file'));
    const stream = Readable.from(['x']);
    expect(projector.project(buffer, ALICE)).toBe(buffer);
    expect(projector.project(file, ALICE)).toBe(file);
    expect(projector.project(stream, ALICE)).toBe(stream);
  });

  it('expands the principal roles through roles.hierarchy', () => {
    class Report {
      @VisibleTo('manager') budget = 10;
    }
    expect(projector.project(new Report(), ADMIN)).toEqual({ budget: 10 });
    expect(projector.project(new Report(), user('m', ['manager']))).toEqual({ budget: 10 });
    expect(projector.project(new Report(), ALICE)).toEqual({});
    const flat = new FieldProjector(compiler, new PrincipalRoles({ roles: { hierarchy: {} } }), tripwire());
    expect(flat.project(new Report(), ADMIN)).toEqual({});
  });

  it('treats a role named owner in a credential as nothing special', () => {
    expect(projector.project(account('bob'), user('mallory', ['owner', 'public']))).toEqual({
      id: 'bob',
      createdAt: '2026-01-02T03:04:05.000Z',
    });
  });

  it('matches numeric owner ids as strings, never empty ones', () => {
    const numeric = account('alice', { ownerId: 42 as unknown as string });
    expect(projector.project(numeric, user('42'))).toHaveProperty('email');
    const unowned = account('x', { ownerId: '' });
    expect(projector.project(unowned, user(''))).not.toHaveProperty('email');
  });

  it('keeps a __proto__ key of plain data as data when copying around a projected value', () => {
    const data = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}') as Record<string, unknown>;
    data.when = new Date(0);
    const out = projector.project(data, ALICE) as Record<string, unknown>;
    expect(out).not.toBe(data);
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.keys(out)).toEqual(['__proto__', 'a', 'when']);
    expect(out.polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses a cyclic response with a 500 instead of overflowing the stack', () => {
    class Node {
      @VisibleTo('authenticated') next?: Node;
    }
    const a = new Node();
    a.next = a;
    expect(() => projector.project(a, ALICE)).toThrow(SecurityException);
    // With the declared type known, compiled plans take their direct path: still bounded.
    class Linked {
      @VisibleTo('authenticated') next?: Linked;
    }
    Reflect.defineMetadata('design:type', Linked, Linked.prototype, 'next');
    const b = new Linked();
    b.next = b;
    expect(compiler.planFor(Linked, { authenticated: true, owner: false, roles: new Set() }).models).toEqual([Linked]);
    expect(() => projector.project(b, ALICE)).toThrow(SecurityException);
  });

  it('decides per instance what depends on the instance when a response holds many of one class', () => {
    class Money {
      constructor(private readonly cents: number) {}
      toJSON(): unknown {
        return this.cents < 0 ? { negative: true } : (this.cents / 100).toFixed(2);
      }
    }
    const buffers = [Buffer.from('a'), Buffer.from('b')];
    const out = projector.project(
      {
        prices: [new Money(1), new Money(250), new Money(-1), new Money(3)],
        buffers,
        accounts: [account('alice'), account('bob'), account('alice')],
      },
      ALICE,
    ) as { prices: unknown[]; buffers: unknown[]; accounts: Record<string, unknown>[] };
    // A toJSON giving an object sends nothing of it (the class is undeclared), the others their value.
    expect(out.prices).toEqual(['0.01', '2.50', {}, '0.03']);
    expect(out.buffers[0]).toBe(buffers[0]);
    expect(out.buffers[1]).toBe(buffers[1]);
    expect(out.accounts.map((a) => 'email' in a)).toEqual([true, false, true]);
  });

  it('projects responses mixing more classes than it scans before its map, each by its own plan', () => {
    const classes = Array.from({ length: 12 }, (_, n) => {
      class Model {
        @VisibleTo('authenticated') shown = n;
        @VisibleTo('admin') adminOnly = n;
        @Hidden() hidden = n;
      }
      return Model;
    });
    const items = [...classes, ...classes.slice().reverse(), ...classes].map((Model) => new Model());
    const expected = items.map((item) => ({ shown: item.shown }));
    expect(projector.project(items, ALICE)).toEqual(expected);
    expect(projector.project(items, ADMIN)).toEqual(
      items.map((item) => ({ shown: item.shown, adminOnly: item.shown })),
    );
    expect(projector.project(items, undefined)).toEqual(items.map(() => ({})));
  });

  it('sends each item of a list of a class with a default its own undeclared fields', () => {
    @ResponseModel({ defaultVisibility: 'authenticated' })
    class Row {
      @VisibleTo('authenticated') id = 0;
      [key: string]: unknown;
    }
    const rows = [Object.assign(new Row(), { id: 1, a: 'x' }), Object.assign(new Row(), { id: 2, b: 'y' }), new Row()];
    expect(projector.project(rows, ALICE)).toEqual([{ id: 1, a: 'x' }, { id: 2, b: 'y' }, { id: 0 }]);
    expect(projector.project(rows, undefined)).toEqual([{}, {}, {}]);
  });

  it('refuses a cycle through lists and declared fields, however the items are reached', () => {
    class Tree {
      @VisibleTo('authenticated') children: Tree[] = [];
      @VisibleTo('authenticated') parent?: Tree;
    }
    Reflect.defineMetadata('design:type', Tree, Tree.prototype, 'parent');
    const root = new Tree();
    const leaf = new Tree();
    leaf.parent = root;
    root.children = [new Tree(), new Tree(), leaf, root];
    expect(() => projector.project([root, root], ALICE)).toThrow(SecurityException);
    const deep = new Tree();
    deep.children = [new Tree(), deep];
    expect(() => projector.project(deep, ALICE)).toThrow(SecurityException);
    // The same shapes without a cycle are projected whole.
    const acyclic = new Tree();
    acyclic.children = [new Tree(), Object.assign(new Tree(), { parent: new Tree() })];
    expect(projector.project([acyclic, acyclic], ALICE)).toEqual([
      { children: [{ children: [] }, { children: [], parent: { children: [] } }] },
      { children: [{ children: [] }, { children: [], parent: { children: [] } }] },
    ]);
  });

  it('projects each item by its own class in lists alternating between classes', () => {
    const list = [
      new Address('Paris', 'g1'),
      account('bob'),
      new Address('Lyon', 'g2'),
      account('alice'),
      new Address('Nice', 'g3'),
    ];
    expect(projector.project(list, ALICE)).toEqual([
      { city: 'Paris' },
      { id: 'bob', createdAt: '2026-01-02T03:04:05.000Z' },
      { city: 'Lyon' },
      { id: 'alice', email: 'alice@example.com', createdAt: '2026-01-02T03:04:05.000Z' },
      { city: 'Nice' },
    ]);
  });

  it('compiles each plan once across requests and reads metadata per class, not per item', () => {
    const compile = jest.spyOn(compiler, 'compile');
    const describe = jest.spyOn(compiler, 'describe');
    projector.project([account('u0')], ALICE);
    const perRequest = describe.mock.calls.length;
    const list = Array.from({ length: 50 }, (_, i) => account(`u${i}`));
    projector.project(list, ALICE);
    projector.project(list, ALICE);
    // One plan for the items Alice does not own, compiled on the first request only.
    expect(compile).toHaveBeenCalledTimes(1);
    expect(describe).toHaveBeenCalledTimes(perRequest * 3);
  });
});

describe('FieldProjector credential tripwire', () => {
  const compiler = new ProjectionCompiler(new Reflector());
  const roles = new PrincipalRoles({ roles: { hierarchy: DEFAULT_ROLE_HIERARCHY } });
  const strict = new FieldProjector(compiler, roles, tripwire('strict'));
  const warn = new FieldProjector(compiler, roles, tripwire('warn'));
  let warnings: jest.SpyInstance;
  beforeEach(() => {
    warnings = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
  });
  afterEach(() => jest.restoreAllMocks());

  const refusal = (run: () => unknown): SecurityException => {
    try {
      run();
    } catch (error) {
      return error as SecurityException;
    }
    throw new Error('expected a refusal');
  };

  it('refuses a plain object with a credential field in strict mode, naming the route and not the value', () => {
    const error = refusal(() => strict.project({ id: 'u1', passwordHash: '$argon2id$x' }, ALICE, 'GET Users.me'));
    expect(error).toBeInstanceOf(SecurityException);
    expect(error.code).toBe(ErrorCode.RESPONSE_CREDENTIAL);
    expect(error.getStatus()).toBe(500);
    expect(error.reason).toContain('GET Users.me');
    expect(error.reason).toContain('passwordHash');
    expect(error.reason).not.toContain('argon2id');
  });

  it('finds credentials at any depth: arrays, envelopes and plain values under declared fields', () => {
    class Wrapper {
      @VisibleTo('public') settings!: unknown;
    }
    const nested = [
      { items: [{ id: 1 }, { id: 2, api_key: 'k' }] },
      Object.assign(new Wrapper(), { settings: { refreshToken: 'rt_x' } }),
      { a: { b: { c: { clientSecret: 's' } } } },
    ];
    for (const value of nested)
      expect(refusal(() => strict.project(value, ALICE)).code).toBe(ErrorCode.RESPONSE_CREDENTIAL);
  });

  it('removes the field in warn mode and warns once per route and field', () => {
    const source = { id: 'u1', name: 'Alice', password: 'p', PasswordHash: 'h' };
    expect(warn.project(source, ALICE, 'GET A.one')).toEqual({ id: 'u1', name: 'Alice' });
    expect(source).toEqual({ id: 'u1', name: 'Alice', password: 'p', PasswordHash: 'h' });
    warn.project(source, ALICE, 'GET A.one');
    expect(warnings).toHaveBeenCalledTimes(2);
    warn.project(source, ALICE, 'GET B.two');
    expect(warnings).toHaveBeenCalledTimes(4);
    expect(String(warnings.mock.calls[2]?.[0])).toContain('GET B.two');
  });

  it('lets a field through when a response class declares it visible, and only that one', () => {
    class TokenView {
      @VisibleTo('public') accessToken = 'at';
      @VisibleTo('public') tokenType = 'Bearer';
    }
    expect(strict.project(new TokenView(), undefined)).toEqual({ accessToken: 'at', tokenType: 'Bearer' });
    @ResponseModel({ defaultVisibility: 'public' })
    class Loose {
      @VisibleTo('public') apiKey = 'declared';
      keyHash = 'undeclared';
    }
    expect(refusal(() => strict.project(new Loose(), undefined)).code).toBe(ErrorCode.RESPONSE_CREDENTIAL);
    expect(warn.project(new Loose(), undefined)).toEqual({ apiKey: 'declared' });
  });

  it('ignores ordinary names that merely look close, and absent values', () => {
    const value = {
      tokenType: 'Bearer',
      tokenId: 'j',
      contentHash: 'abc',
      accountHash: 'p',
      apiKeys: [],
      password: null,
    };
    expect(strict.project(value, ALICE)).toBe(value);
  });

  it('is off with an empty names list', () => {
    const off = new FieldProjector(compiler, roles, tripwire('strict', []));
    const value = { passwordHash: 'h' };
    expect(off.project(value, ALICE)).toBe(value);
  });
});
