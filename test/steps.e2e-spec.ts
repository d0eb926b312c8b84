import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { ApiSecurityModule, ErrorCode, SecurityStepError, type SecurityStepEntry } from '@api-security/nestjs';
import {
  AuditorRolesStep,
  ImpostorRolesStep,
  LastStep,
  NotAStep,
  ReportsController,
  StaticAuthenticator,
  StepRecorder,
  StepsTestingModule,
  TenantStep,
} from './fixtures/steps.fixture';
import { expectProblem } from './utils/problem';
import { ADAPTERS, createApp } from './utils/create-app';

const USER = 'Bearer acme-user';
const AUDITOR = 'Bearer acme-auditor';
const OTHER_TENANT = 'Bearer globex-user';

describe.each(ADAPTERS)('application steps in the security chain (%s)', (kind) => {
  let app: INestApplication;
  const http = () => request(app.getHttpServer());
  const calls = () => app.get(StepRecorder).calls;

  beforeAll(async () => {
    app = await createApp(kind, {
      imports: [
        StepsTestingModule,
        ApiSecurityModule.forRoot({
          authenticators: [StaticAuthenticator],
          steps: [LastStep, { use: TenantStep, after: 'authentication' }, { use: AuditorRolesStep, replace: 'roles' }],
        }),
      ],
      controllers: [ReportsController],
    });
  });
  afterAll(() => app.close());
  beforeEach(() => {
    calls().length = 0;
  });

  describe('an added step (tenant check after authentication)', () => {
    it('lets a caller of the right tenant through', async () => {
      const res = await http().get('/api/reports/mine').set('Authorization', USER).set('X-Tenant', 'acme');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ reports: [] });
    });

    it('refuses another tenant, or no tenant, with 403 problem details before the handler', async () => {
      const other = await http().get('/api/reports/mine').set('Authorization', OTHER_TENANT).set('X-Tenant', 'acme');
      expectProblem(other, 403, ErrorCode.FORBIDDEN);
      const none = await http().get('/api/reports/mine').set('Authorization', USER);
      expectProblem(none, 403, ErrorCode.FORBIDDEN);
      expect(calls()).toEqual(['tenant GET /api/reports/mine', 'tenant GET /api/reports/mine']);
    });

    it('runs after authentication: an anonymous caller gets 401 and the step never runs', async () => {
      const res = await http().get('/api/reports/mine').set('X-Tenant', 'acme');
      expectProblem(res, 401, ErrorCode.UNAUTHENTICATED);
      expect(calls()).toEqual([]);
    });

    it('does not run on a route its appliesTo excludes (a public one)', async () => {
      const res = await http().get('/api/reports/status');
      expect(res.status).toBe(200);
      expect(calls()).toEqual(['last GET /api/reports/status']);
    });
  });

  describe('a replaced built-in step (a RolesStep subclass)', () => {
    it('is the one that decides: the mapped role is granted', async () => {
      const res = await http().get('/api/reports').set('Authorization', AUDITOR).set('X-Tenant', 'acme');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ reports: ['q1'] });
      expect(calls()).toContain('roles GET /api/reports');
    });

    it('keeps the built-in refusal for everyone else', async () => {
      const res = await http().get('/api/reports').set('Authorization', USER).set('X-Tenant', 'acme');
      expectProblem(res, 403, ErrorCode.FORBIDDEN);
      expect(calls()).toEqual(['tenant GET /api/reports', 'roles GET /api/reports']);
    });
  });

  it('runs the chain in order: authentication, the tenant step, roles, then a bare step last', async () => {
    const res = await http().get('/api/reports').set('Authorization', AUDITOR).set('X-Tenant', 'acme');
    expect(res.status).toBe(200);
    expect(calls()).toEqual(['tenant GET /api/reports', 'roles GET /api/reports', 'last GET /api/reports']);
  });

  it('keeps the rate limit ahead of application steps: refused requests count, and a limited client never reaches them', async () => {
    for (let i = 0; i < 2; i++) {
      const refused = await http().get('/api/reports/limited').set('Authorization', USER).set('X-Tenant', 'globex');
      expectProblem(refused, 403, ErrorCode.FORBIDDEN);
    }
    const limited = await http().get('/api/reports/limited').set('Authorization', USER).set('X-Tenant', 'acme');
    expectProblem(limited, 429, ErrorCode.RATE_LIMITED);
    expect(calls()).toEqual(['tenant GET /api/reports/limited', 'tenant GET /api/reports/limited']);
  });

  it('stops at the first refusal: a wrong tenant never reaches roles or later steps', async () => {
    const res = await http().get('/api/reports').set('Authorization', AUDITOR).set('X-Tenant', 'globex');
    expectProblem(res, 403, ErrorCode.FORBIDDEN);
    expect(calls()).toEqual(['tenant GET /api/reports']);
  });
});

describe('a chain that cannot be assembled stops the boot', () => {
  async function boot(steps: SecurityStepEntry[]): Promise<unknown> {
    return Test.createTestingModule({
      imports: [StepsTestingModule, ApiSecurityModule.forRoot({ authenticators: [StaticAuthenticator], steps })],
      controllers: [ReportsController],
    })
      .compile()
      .then(
        (ref) => ref.close(),
        (error: unknown) => error,
      );
  }

  it.each<[string, SecurityStepEntry[], string]>([
    ['an unknown anchor', [{ use: TenantStep, after: 'authorisation' }], 'ERR_STEP_UNKNOWN_ANCHOR'],
    ['an unknown step to replace', [{ use: AuditorRolesStep, replace: 'role' }], 'ERR_STEP_UNKNOWN_ANCHOR'],
    ['a second step of a built-in name', [{ use: ImpostorRolesStep, before: 'ownership' }], 'ERR_STEP_DUPLICATE'],
    ['one step added twice', [TenantStep, { use: TenantStep, after: 'roles' }], 'ERR_STEP_DUPLICATE'],
    ['two placements at once', [{ use: TenantStep, before: 'roles', after: 'authentication' }], 'ERR_STEP_INVALID'],
    ['a class that is no step', [NotAStep as never], 'ERR_STEP_INVALID'],
  ])('%s', async (_case, steps, code) => {
    const error = await boot(steps);
    expect(error).toBeInstanceOf(SecurityStepError);
    expect((error as SecurityStepError).code).toBe(code);
  });
});
