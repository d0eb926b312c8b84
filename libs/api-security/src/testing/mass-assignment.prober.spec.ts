import type { INestApplication } from '@nestjs/common';
import { WritePolicyCompiler } from '../properties/write-policy.compiler';
import { AS_A, KitStore, startKitApp } from '../../spec-support/kit.fixture';
import { probeMassAssignment, type MassAssignmentTarget } from './mass-assignment.prober';
import { bodyRoutes } from './route-discovery';

describe('probeMassAssignment', () => {
  let app: INestApplication;
  beforeAll(async () => {
    app = await startKitApp();
  });
  afterAll(() => app.close());

  const profile = (target: INestApplication): MassAssignmentTarget => ({
    route: 'PATCH /me/profile',
    headers: AS_A,
    roles: ['user'],
    body: () => ({ name: 'A' }),
    readBack: async () => ({ ...target.get(KitStore).profiles.get('a') }),
  });

  it('discovers body routes with their DTO and @WritableBy fields', () => {
    const routes = bodyRoutes(app).map((r) => ({ route: r.plan.key, dto: r.dto?.name, restricted: r.restricted }));
    expect(routes).toEqual(
      expect.arrayContaining([
        { route: 'PATCH /me/profile', dto: 'UpdateProfileDto', restricted: [{ field: 'role', writableBy: ['admin'] }] },
        { route: 'PATCH /me/settings', dto: undefined, restricted: [] },
        { route: 'PATCH /notes/:id', dto: 'UpdateNoteDto', restricted: [] },
      ]),
    );
  });

  it('passes a route the library protects: restricted and unknown fields refused, nothing changed', async () => {
    const report = await probeMassAssignment(app, { targets: [profile(app)] });
    expect(report.findings).toEqual([]);
    expect(report.probed).toEqual(['PATCH /me/profile role', 'PATCH /me/profile isAdmin']);
    expect(report.unprobed.map((u) => u.route).sort()).toEqual([
      'PATCH /me/settings',
      'PATCH /notes/:id',
      'POST /me/echo',
    ]);
    expect(report.untyped).toEqual(['PATCH /me/settings']);
  });

  it('skips fields the caller may write (admin may send role)', async () => {
    const report = await probeMassAssignment(app, {
      targets: [{ ...profile(app), headers: { Authorization: 'Bearer root' }, roles: ['admin'], readBack: undefined }],
      control: false,
    });
    expect(report.probed).toEqual(['PATCH /me/profile isAdmin']);
  });

  it('catches a body without a DTO that merges an undeclared field, and sees the change', async () => {
    const report = await probeMassAssignment(app, {
      targets: [
        {
          route: 'PATCH /me/settings',
          headers: AS_A,
          roles: ['user'],
          body: () => ({ theme: 'dark' }),
          readBack: async () => ({ ...app.get(KitStore).settings.get('a') }),
        },
      ],
    });
    expect(report.findings).toEqual([
      expect.objectContaining({ route: 'PATCH /me/settings', field: 'isAdmin', status: 200 }),
      expect.objectContaining({
        route: 'PATCH /me/settings',
        field: 'isAdmin',
        message: 'sending isAdmin changed the state read back',
      }),
    ]);
  });

  it('catches a restricted field accepted when the write policy is not enforced', async () => {
    // The interceptor is still there, but a compiler that finds no policed body makes it a no-op.
    const unprotected = await startKitApp((builder) =>
      builder.overrideProvider(WritePolicyCompiler).useValue({ forHandler: () => [] }),
    );
    try {
      const report = await probeMassAssignment(unprotected, { targets: [profile(unprotected)] });
      expect(report.findings).toEqual([
        expect.objectContaining({ field: 'role', status: 200 }),
        expect.objectContaining({ field: 'role', message: 'sending role changed the state read back' }),
      ]);
    } finally {
      await unprotected.close();
    }
  });

  it('reports a control body the route refuses, since a refused field would then prove nothing', async () => {
    const report = await probeMassAssignment(app, { targets: [{ ...profile(app), body: () => ({ name: 42 }) }] });
    expect(report.findings).toEqual([expect.objectContaining({ route: 'PATCH /me/profile', status: 400 })]);
    expect(report.probed).toEqual([]);
  });

  it('reports a target naming no body route', async () => {
    const report = await probeMassAssignment(app, { targets: [{ ...profile(app), route: 'PATCH /nowhere' }] });
    expect(report.unprobed).toContainEqual({
      route: 'PATCH /nowhere',
      reason: 'no route with a @Body() parameter has this key',
    });
  });
});
