import { Reflector } from '@nestjs/core';
import { Hidden } from './hidden.decorator';
import { OwnedBy } from './owned-by.decorator';
import type { Audience } from './projection-plan';
import { defaultRule, grants, ProjectionCompiler } from './projection.compiler';
import { ResponseModel } from './response-model.decorator';
import { expandRoles } from '../authorization/role-expansion';
import { DEFAULT_ROLE_HIERARCHY } from '../authorization/roles.options';
import { VisibleTo } from './visible-to.decorator';
import { WritableBy, writableModels } from './writable-by.decorator';

@OwnedBy('userId')
class AccountView {
  @VisibleTo('public') name!: string;
  @VisibleTo('authenticated') id!: string;
  @VisibleTo('owner', 'admin') email!: string;
  @VisibleTo('manager') salary!: number;
  @VisibleTo('admin') notes!: string;
  @Hidden() passwordHash!: string;
  userId!: string;
  undecorated!: string;
}

class Nested {
  @VisibleTo('authenticated') label!: string;
}

class WithNested {
  @VisibleTo('authenticated') child!: Nested;
  @VisibleTo('authenticated') count!: number;
}

const anonymous: Audience = { authenticated: false, owner: false, roles: new Set() };
const as = (roles: string[], owner = false): Audience => ({
  authenticated: true,
  owner,
  roles: expandRoles(roles, DEFAULT_ROLE_HIERARCHY),
});

describe('ProjectionCompiler', () => {
  let compiler: ProjectionCompiler;
  beforeEach(() => {
    compiler = new ProjectionCompiler(new Reflector());
  });
  const fields = (type: typeof AccountView, audience: Audience) => [...compiler.planFor(type, audience).fields].sort();

  it('allowlists: an anonymous caller gets only public fields', () => {
    expect(fields(AccountView, anonymous)).toEqual(['name']);
  });

  it('gives an authenticated user the authenticated fields, not undecorated or hidden ones', () => {
    expect(fields(AccountView, as(['user']))).toEqual(['id', 'name']);
  });

  it('adds owner fields only for the owner', () => {
    expect(fields(AccountView, as(['user'], true))).toEqual(['email', 'id', 'name']);
  });

  it('expands roles through the hierarchy: an admin also has manager fields', () => {
    expect(fields(AccountView, as(['manager']))).toEqual(['id', 'name', 'salary']);
    expect(fields(AccountView, as(['admin']))).toEqual(['email', 'id', 'name', 'notes', 'salary']);
  });

  it('never grants the owner pseudo-role from a role name', () => {
    expect(fields(AccountView, { authenticated: true, owner: false, roles: new Set(['owner', 'public']) })).toEqual([
      'id',
      'name',
    ]);
  });

  it('never grants owner to an anonymous audience', () => {
    expect(fields(AccountView, { authenticated: false, owner: true, roles: new Set() })).toEqual(['name']);
  });

  it('applies class defaults to undecorated fields, never to hidden or role-restricted ones', () => {
    @ResponseModel({ defaultVisibility: 'authenticated' })
    class Product {
      @VisibleTo('admin') cost!: number;
      @Hidden() supplierKey!: string;
      name!: string;
    }
    @ResponseModel({ defaultVisibility: 'public' })
    class Open {
      @Hidden() secret!: string;
    }
    @ResponseModel()
    class Closed {}

    expect(compiler.planFor(Product, anonymous).includeUndeclared).toBe(false);
    const user = compiler.planFor(Product, as(['user']));
    expect(user.includeUndeclared).toBe(true);
    expect([...user.declared].sort()).toEqual(['cost', 'supplierKey']);
    expect(user.fields).toEqual([]);
    expect(compiler.planFor(Open, anonymous).includeUndeclared).toBe(true);
    expect(compiler.planFor(Closed, as(['admin'])).includeUndeclared).toBe(false);
    expect(compiler.planFor(AccountView, as(['admin'])).includeUndeclared).toBe(false);
  });

  it('inherits rules; a subclass may override one and Hidden always wins', () => {
    class Base {
      @VisibleTo('authenticated') a!: string;
      @VisibleTo('authenticated') b!: string;
    }
    class Derived extends Base {
      @VisibleTo('admin') override b = '';
      @VisibleTo('authenticated') @Hidden() c!: string;
    }
    expect([...compiler.planFor(Derived, as(['user'])).fields].sort()).toEqual(['a']);
    expect([...compiler.planFor(Derived, as(['admin'])).fields].sort()).toEqual(['a', 'b']);
    expect([...compiler.planFor(Base, as(['user'])).fields].sort()).toEqual(['a', 'b']);
  });

  it('records which allowed fields are declared as response classes', () => {
    const plan = compiler.planFor(WithNested, as(['user']));
    expect(plan.fields).toEqual(['child', 'count']);
    expect(plan.models).toEqual([Nested, undefined]);
  });

  it('compiles a plan once per class and audience, then serves it from the cache', () => {
    const compile = jest.spyOn(compiler, 'compile');
    const first = compiler.planFor(AccountView, as(['user']));
    expect(compiler.planFor(AccountView, as(['user']))).toBe(first);
    expect(compile).toHaveBeenCalledTimes(1);
    compiler.planFor(AccountView, as(['user'], true));
    compiler.planFor(AccountView, as(['admin']));
    expect(compile).toHaveBeenCalledTimes(3);
    compiler.planFor(AccountView, as(['admin']));
    compiler.planFor(AccountView, as(['user'], true));
    expect(compile).toHaveBeenCalledTimes(3);
  });

  it('keys plans by the roles the class mentions only, so unrelated roles share a plan', () => {
    const compile = jest.spyOn(compiler, 'compile');
    const plain = compiler.planFor(AccountView, as(['user']));
    expect(compiler.planFor(AccountView, as(['user', 'billing', 'x-1', 'x-2']))).toBe(plain);
    expect(compile).toHaveBeenCalledTimes(1);
  });

  it('tells apart audiences that hold different roles of a class mentioning more roles than fit a number', () => {
    const many = Array.from({ length: 40 }, (_, i) => `r${i}`);
    class Wide {
      @VisibleTo(...(many.slice(0, 30) as [string, ...string[]])) early!: string;
      @VisibleTo('r35') late!: string;
    }
    expect([...compiler.planFor(Wide, as(['r35'])).fields]).toEqual(['late']);
    expect([...compiler.planFor(Wide, as(['r29'])).fields]).toEqual(['early']);
    expect([...compiler.planFor(Wide, as(['r0', 'r35'])).fields].sort()).toEqual(['early', 'late']);
    expect(compiler.planFor(Wide, as(['r39'])).fields).toEqual([]);
  });

  it('tells audiences apart by the class roles they hold: unrelated roles share a plan, each held role counts', () => {
    class Narrow {
      @VisibleTo('a1') one!: string;
      @VisibleTo('a2') two!: string;
    }
    expect([...compiler.planFor(Narrow, as(['a2'])).fields]).toEqual(['two']);
    expect([...compiler.planFor(Narrow, as(['a1'])).fields]).toEqual(['one']);
    expect(compiler.planFor(Narrow, as(['a1', 'zz']))).toBe(compiler.planFor(Narrow, as(['a1'])));
    expect(compiler.planFor(Narrow, as(['a1']))).not.toBe(compiler.planFor(Narrow, as(['a1', 'a2'])));
  });

  it('refuses at boot a class that shows a field to owner without @OwnedBy', () => {
    class Broken {
      @VisibleTo('owner') email!: string;
    }
    expect(() => compiler.describe(Broken)).toThrow(/Broken\.email is visible to 'owner' but Broken has no @OwnedBy/);
    expect(() => compiler.onModuleInit()).toThrow(/Broken has no @OwnedBy/);
  });
});

describe('rule meaning, shared with GraphQL field visibility', () => {
  const audience = (authenticated: boolean, owner = false, ...roles: string[]): Audience => ({
    authenticated,
    owner,
    roles: new Set(roles),
  });

  it('turns a class default into the rule an undecorated property gets', () => {
    expect(grants(defaultRule('public'), audience(false))).toBe(true);
    expect(grants(defaultRule('authenticated'), audience(false))).toBe(false);
    expect(grants(defaultRule('authenticated'), audience(true))).toBe(true);
    expect(grants(defaultRule('none'), audience(true, true, 'admin'))).toBe(false);
  });

  it('grants a role rule to any one of its roles or pseudo-roles', () => {
    const rule = { kind: 'roles', roles: ['owner', 'admin'] } as const;
    expect(grants(rule, audience(true, true))).toBe(true);
    expect(grants(rule, audience(true, false, 'admin'))).toBe(true);
    expect(grants(rule, audience(true, false, 'user'))).toBe(false);
    expect(grants({ kind: 'hidden' }, audience(true, true, 'admin'))).toBe(false);
  });
});

describe('visibility decorators', () => {
  it('refuse missing or empty arguments where they are written', () => {
    // Class decorators made with Reflector.createDecorator validate when applied to the class.
    expect(() => OwnedBy()(class Unowned {})).toThrow(/@OwnedBy needs the name/);
    expect(() => OwnedBy('')(class Unowned {})).toThrow(/@OwnedBy needs the name/);
    expect(() => (VisibleTo as (...roles: string[]) => unknown)()).toThrow(/at least one role/);
    expect(() => VisibleTo('')).toThrow(/non-empty strings/);
    expect(() => ResponseModel({ defaultVisibility: 'everyone' as 'public' })(class Model {})).toThrow(
      /defaultVisibility/,
    );
    expect(() => WritableBy('owner')).toThrow(/not roles here/);
  });

  it('record the classes that declare @WritableBy, so that an unenforced rule is found at boot', () => {
    class Patch {
      @WritableBy('admin') role?: string;
    }
    expect(writableModels()).toContain(Patch);
  });

  it('store the resolved default of @ResponseModel() rather than {}', () => {
    @ResponseModel()
    class Model {}
    expect(new Reflector().get(ResponseModel, Model)).toEqual({ defaultVisibility: 'none' });
  });
});
