import type { ModuleMetadata, Type } from '@nestjs/common';
import request from 'supertest';
import { ApiSecurityModule, RouteInventoryService, type ApiSecurityModuleOptions } from '@api-security/nestjs';
import {
  AdminController,
  AuthorizationTestingModule,
  ItemOwnershipResolver,
  ItemsController,
  ItemStore,
  itemOwnership,
  StaticRolesAuthenticator,
} from './fixtures/authorization.fixture';
import {
  LeakyController,
  MissingResolverController,
  PublicRolesController,
  SupportController,
  UnknownRoleController,
} from './fixtures/authorization-boot.fixture';
import { ADAPTERS, createApp, type AdapterKind } from './utils/create-app';

function metadata(controllers: Type[], options: ApiSecurityModuleOptions = {}): ModuleMetadata {
  return {
    imports: [
      ApiSecurityModule.forRoot({ ...options, authenticators: [StaticRolesAuthenticator] }),
      AuthorizationTestingModule,
    ],
    controllers,
    providers: [ItemStore, ItemOwnershipResolver, itemOwnership],
  };
}

async function bootError(kind: AdapterKind, controllers: Type[], options?: ApiSecurityModuleOptions): Promise<string> {
  const outcome = await createApp(kind, metadata(controllers, options)).then(
    async (app) => {
      await app.close();
      return undefined;
    },
    (error: unknown) => (error instanceof Error ? error.message : String(error)),
  );
  if (outcome === undefined) throw new Error(`${controllers.map((c) => c.name).join(', ')} booted`);
  return outcome;
}

describe.each(ADAPTERS)('authorization boot audit (%s)', (kind) => {
  it('refuses to boot with a protected :id route that has no @Owns decision, naming the route', async () => {
    expect(await bootError(kind, [LeakyController])).toMatch(
      /GET \/api\/leaky\/:id: LeakyController\.find takes :id but has no ownership decision; add @Owns\('<resource>'\) or @Owns\(false, \{ reason \}\)/,
    );
  });

  it('refuses @Roles on a @Public() route', async () => {
    expect(await bootError(kind, [PublicRolesController])).toMatch(
      /GET \/api\/open: PublicRolesController\.open is @Public\(\) but has @Roles/,
    );
  });

  it('refuses an unknown role name', async () => {
    expect(await bootError(kind, [UnknownRoleController])).toMatch(
      /GET \/api\/typo: UnknownRoleController\.typo names unknown role\(s\) 'superuser'; known roles: admin, manager, user/,
    );
  });

  it('refuses @Owns for a resource without a registered resolver, naming route and resource', async () => {
    expect(await bootError(kind, [MissingResolverController])).toMatch(
      /GET \/api\/invoices\/:invoiceId: MissingResolverController\.find is @Owns\('invoice'\) but no OwnershipResolver is registered for 'invoice'/,
    );
  });

  it('lists every offending route, one line each', async () => {
    const message = await bootError(kind, [
      LeakyController,
      PublicRolesController,
      UnknownRoleController,
      MissingResolverController,
      ItemsController,
    ]);
    const lines = message.split('\n').filter((line) => line.startsWith('  - '));
    expect(lines.map((line) => line.split(': ')[0])).toEqual([
      '  - GET /api/leaky/:id',
      '  - GET /api/open',
      '  - GET /api/typo',
      '  - GET /api/invoices/:invoiceId',
    ]);
  });

  it('accepts a role from a custom hierarchy, which the default one does not know', async () => {
    expect(await bootError(kind, [SupportController])).toMatch(/names unknown role\(s\) 'support'/);
    const app = await createApp(
      kind,
      metadata([SupportController], { roles: { hierarchy: { admin: ['support'], support: ['user'] } } }),
    );
    try {
      const http = () => request(app.getHttpServer());
      expect((await http().get('/api/support').set('Authorization', 'Bearer admin')).status).toBe(200);
      expect((await http().get('/api/support').set('Authorization', 'Bearer user-a')).status).toBe(403);
    } finally {
      await app.close();
    }
  });

  it('reports the effective roles of a custom hierarchy in the route inventory', async () => {
    const app = await createApp(
      kind,
      metadata([SupportController], {
        roles: { hierarchy: { superuser: ['admin'], admin: ['support'], support: ['user'] } },
      }),
    );
    try {
      const route = app
        .get(RouteInventoryService)
        .list()
        .find((r) => r.path === '/api/support');
      expect(route).toMatchObject({ roles: ['support'], effectiveRoles: ['support', 'admin', 'superuser'] });
    } finally {
      await app.close();
    }
  });

  it('boots in warn mode and still fails closed where it can', async () => {
    const app = await createApp(
      kind,
      metadata([LeakyController, PublicRolesController, UnknownRoleController, MissingResolverController], {
        audit: { mode: 'warn' },
      }),
    );
    try {
      const http = () => request(app.getHttpServer());
      // No resolver: every non-bypassed request is denied, never served.
      expect((await http().get('/api/invoices/inv-1').set('Authorization', 'Bearer user-a')).status).toBe(404);
      expect((await http().get('/api/invoices/inv-1').set('Authorization', 'Bearer admin')).status).toBe(200);
      // Nobody holds the unknown role; a public route with @Roles has no principal to admit.
      expect((await http().get('/api/typo').set('Authorization', 'Bearer admin')).status).toBe(403);
      expect((await http().get('/api/open')).status).toBe(403);
      // Warn mode is the owner's choice: the undecided route is served as written.
      expect((await http().get('/api/leaky/x').set('Authorization', 'Bearer user-a')).status).toBe(200);
    } finally {
      await app.close();
    }
  });

  it('reports roles, scopes and ownership in the route inventory', async () => {
    const app = await createApp(kind, metadata([ItemsController, AdminController]));
    try {
      const byKey = new Map(
        app
          .get(RouteInventoryService)
          .list()
          .map((r) => [`${r.method} ${r.path}`, r]),
      );
      expect(byKey.get('GET /api/items/:id')).toMatchObject({
        roles: [],
        scopes: [],
        ownership: {
          kind: 'resource',
          resource: 'item',
          param: 'id',
          onDenied: 404,
          bypassRoles: ['admin'],
          effectiveBypassRoles: ['admin'],
        },
      });
      expect(byKey.get('GET /api/items/:id/history')?.ownership).toMatchObject({ onDenied: 403 });
      expect(byKey.get('GET /api/items/:id/export')).toMatchObject({ scopes: ['items:read'] });
      expect(byKey.get('GET /api/items')).toMatchObject({ ownership: null, roles: [] });
      expect(byKey.get('GET /api/admin/stats')).toMatchObject({
        roles: ['admin'],
        effectiveRoles: ['admin'],
        ownership: null,
      });
      // Declared beside effective: admin includes manager in the default hierarchy.
      expect(byKey.get('GET /api/admin/reports')).toMatchObject({
        roles: ['manager'],
        effectiveRoles: ['manager', 'admin'],
      });
      expect(byKey.get('GET /api/items')?.effectiveRoles).toEqual([]);
      expect(byKey.get('GET /api/admin/users/:userId')).toMatchObject({
        roles: ['admin'],
        ownership: { kind: 'opt-out', reason: 'admin-only user directory' },
      });
      // Plain data, ready to serve as JSON.
      expect(JSON.parse(JSON.stringify([...byKey.values()]))).toEqual([...byKey.values()]);
    } finally {
      await app.close();
    }
  });
});
