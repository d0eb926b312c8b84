import type { INestApplication } from '@nestjs/common';
import { probeBola } from './bola.prober';
import { AS_A, AS_B, startKitApp } from '../../spec-support/kit.fixture';

describe('probeBola', () => {
  let app: INestApplication;
  beforeAll(async () => {
    app = await startKitApp();
  });
  afterAll(() => app.close());

  it('reports the @Owns route whose resolver lets B read A’s resource, and passes the correct ones', async () => {
    const report = await probeBola(app, { ids: { note: 'note-a', leaky: 'note-a' }, owner: AS_A, other: AS_B });
    expect(report.findings).toEqual([
      expect.objectContaining({
        route: 'GET /leaky/:id',
        url: '/leaky/note-a',
        as: 'other',
        status: 200,
        expected: '404',
      }),
    ]);
    expect(report.findings[0]?.message).toMatch(/broken object-level authorization/);
    expect(report.probed.sort()).toEqual(['GET /leaky/:id', 'GET /notes/:id', 'PATCH /notes/:id']);
  });

  it('lists @Owns routes it could not probe, and the opt-outs', async () => {
    const report = await probeBola(app, { ids: { note: 'note-a', leaky: 'note-a' }, owner: AS_A, other: AS_B });
    expect(report.unprobed).toEqual([
      { route: 'GET /gadgets/:gadgetId', reason: 'no id of A given for resource "gadget"' },
    ]);
    expect(report.optedOut).toEqual([
      { route: 'GET /gadgets/:id/public-summary', reason: 'summaries are public to signed-in users' },
    ]);
  });

  it('expects the status the plan promises (403 with onDenied: 403)', async () => {
    // The gadget resolver denies everyone, owner included: the control read exposes the useless probe.
    const withControl = await probeBola(app, {
      ids: { gadget: 'g-1' },
      owner: AS_A,
      other: AS_B,
      include: (r) => r.path.startsWith('/gadgets'),
    });
    expect(withControl.findings).toEqual([
      expect.objectContaining({ route: 'GET /gadgets/:gadgetId', as: 'owner', status: 403 }),
    ]);
    const withoutControl = await probeBola(app, {
      ids: { gadget: 'g-1' },
      owner: AS_A,
      other: AS_B,
      control: false,
      include: (r) => r.path.startsWith('/gadgets'),
    });
    expect(withoutControl.findings).toEqual([]);
    expect(withoutControl.probed).toEqual(['GET /gadgets/:gadgetId']);
  });

  it('reports a failed control when the id given for A is wrong, instead of passing silently', async () => {
    const report = await probeBola(app, {
      ids: { note: 'no-such-note' },
      owner: AS_A,
      other: AS_B,
      include: (r) => r.path.startsWith('/notes'),
    });
    expect(report.findings).toEqual([
      expect.objectContaining({ route: 'GET /notes/:id', as: 'owner', status: 404, expected: '2xx' }),
    ]);
  });

  it('reports a route that answers B with another error than the plan says (wrong credentials for B)', async () => {
    const report = await probeBola(app, {
      ids: { note: 'note-a' },
      owner: AS_A,
      other: { Authorization: 'Bearer nobody' },
      include: (r) => r.key === 'GET /notes/:id',
    });
    expect(report.findings).toEqual([expect.objectContaining({ route: 'GET /notes/:id', as: 'other', status: 401 })]);
  });
});
