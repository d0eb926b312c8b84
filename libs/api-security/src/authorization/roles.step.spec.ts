import type { ExecutionContext } from '@nestjs/common';
import type { SecurityPrincipal, SecurityRequest } from '../common/security-principal';
import type { SecurityEvent } from '../audit/security-event';
import type { SecurityEventBus } from '../audit/security-event.bus';
import { ErrorCode } from '../errors/codes';
import { SecurityException } from '../errors/security.exception';
import type { RoutePlan } from '../plan/route-plan';
import type { SecurityStep } from '../plan/security-step';
import { RoleGraph } from './role-graph';
import { RolesStep } from './roles.step';

/** Runs the step as the guard does, with one context object; a refusal becomes a rejection. */
async function check(step: SecurityStep, request: SecurityRequest, plan: RoutePlan): Promise<void> {
  await step.run({ request, plan, execution: {} as ExecutionContext });
}

const graph = new RoleGraph({ admin: ['manager'], manager: ['user'] });

function plan(roles?: string[], scopes?: string[]): RoutePlan {
  return {
    key: 'GET /api/reports',
    method: 'GET',
    path: '/api/reports',
    versions: [],
    controller: 'ReportsController',
    handler: 'list',
    isPublic: false,
    ...(roles ? { roles: { required: roles, satisfiedBy: graph.satisfying(roles) } } : {}),
    ...(scopes ? { scopes } : {}),
  };
}

const principal = (roles: string[], authMethod = 'jwt', scopes: string[] = []): SecurityPrincipal => ({
  id: 'p-1',
  roles,
  authMethod,
  scopes,
});

function setup() {
  const events: SecurityEvent[] = [];
  const bus = { emit: (event: SecurityEvent) => events.push(event) } as unknown as SecurityEventBus;
  const step = new RolesStep(bus);
  const request = (who?: SecurityPrincipal): SecurityRequest => ({
    headers: {},
    method: 'GET',
    url: '/api/reports',
    ip: '203.0.113.9',
    requestId: 'req-1',
    ...(who ? { principal: who } : {}),
  });
  return { events, step, request };
}

async function refusal(promise: Promise<void>): Promise<SecurityException> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SecurityException);
  return error as SecurityException;
}

describe('RolesStep', () => {
  it('lets any principal through a route without @Roles or @Scopes', async () => {
    const { step, request, events } = setup();
    await expect(check(step, request(principal([])), plan())).resolves.toBeUndefined();
    expect(events).toEqual([]);
  });

  it('admits the role and every role that includes it', async () => {
    const { step, request } = setup();
    for (const roles of [['manager'], ['admin'], ['user', 'manager']]) {
      await expect(check(step, request(principal(roles)), plan(['manager']))).resolves.toBeUndefined();
    }
  });

  it('refuses a missing role with 403 FORBIDDEN (never 401) and an access.denied event', async () => {
    const { step, request, events } = setup();
    const error = await refusal(check(step, request(principal(['user'])), plan(['manager'])));
    expect(error.getStatus()).toBe(403);
    expect(error.code).toBe(ErrorCode.FORBIDDEN);
    expect(events).toEqual([
      {
        type: 'access.denied',
        reason: 'role',
        route: 'GET /api/reports',
        requestId: 'req-1',
        principalId: 'p-1',
        ip: '203.0.113.9',
        details: { required: 'manager' },
      },
    ]);
  });

  it('does not let a role that is merely included satisfy a higher one', async () => {
    const { step, request } = setup();
    expect((await refusal(check(step, request(principal(['manager'])), plan(['admin'])))).getStatus()).toBe(403);
    expect(
      (await refusal(check(step, request(principal(['owner', 'authenticated'])), plan(['user'])))).getStatus(),
    ).toBe(403);
    expect((await refusal(check(step, request(principal([])), plan(['user'])))).getStatus()).toBe(403);
  });

  it('fails closed without a principal or with malformed roles', async () => {
    const { step, request } = setup();
    expect((await refusal(check(step, request(), plan(['user'])))).getStatus()).toBe(403);
    const broken = { ...principal([]), roles: 'admin' } as unknown as SecurityPrincipal;
    expect((await refusal(check(step, request(broken), plan(['admin'])))).getStatus()).toBe(403);
  });

  it('requires every scope of an API-key principal', async () => {
    const { step, request, events } = setup();
    const key = (scopes: string[]) => principal(['user'], 'api-key', scopes);
    await expect(check(step, request(key(['r', 'w', 'x'])), plan(['user'], ['r', 'w']))).resolves.toBeUndefined();
    const error = await refusal(check(step, request(key(['r'])), plan(['user'], ['r', 'w'])));
    expect(error.getStatus()).toBe(403);
    expect(events.at(-1)).toMatchObject({ type: 'access.denied', reason: 'scope', details: { required: 'r,w' } });
    expect((await refusal(check(step, request(key([])), plan(undefined, ['r'])))).getStatus()).toBe(403);
  });

  it('does not limit user sessions by scopes', async () => {
    const { step, request } = setup();
    await expect(check(step, request(principal(['user'], 'jwt', [])), plan(undefined, ['r']))).resolves.toBeUndefined();
  });

  it('checks roles of API-key principals too', async () => {
    const { step, request } = setup();
    const key = principal(['user'], 'api-key', ['r']);
    expect((await refusal(check(step, request(key), plan(['admin'], ['r'])))).getStatus()).toBe(403);
  });

  it('lets a subclass decide which credentials scopes apply to', async () => {
    class ClientScopes extends RolesStep {
      protected override isScopedCredential(p: SecurityPrincipal): boolean {
        return p.authMethod === 'api-key' || p.authMethod === 'client-credentials';
      }
    }
    const { request } = setup();
    const step = new ClientScopes({ emit: () => undefined } as unknown as SecurityEventBus);
    const client = principal([], 'client-credentials', []);
    expect((await refusal(check(step, request(client), plan(undefined, ['r'])))).getStatus()).toBe(403);
  });
});
