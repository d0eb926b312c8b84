import type { FlowPlan } from '../plan/flow-plan';
import { FlowTicket, holdFlowTicket, takeFlowTicket, type FlowOutcome } from './flow-ticket';

describe('FlowTicket ownership', () => {
  const settled: FlowOutcome[] = [];
  const ticket = () =>
    new FlowTicket({ settle: async (_t, outcome) => void settled.push(outcome) }, {} as FlowPlan, []);

  beforeEach(() => {
    settled.length = 0;
  });

  it('goes to exactly one owner: the first to take it; the second finds nothing', () => {
    const request = {};
    const held = ticket();
    holdFlowTicket(request, held);
    expect(takeFlowTicket(request)).toBe(held);
    expect(takeFlowTicket(request)).toBeUndefined();
    expect(takeFlowTicket({})).toBeUndefined();
    expect(takeFlowTicket(undefined)).toBeUndefined();
  });

  it('settles once, whatever its owner does after', async () => {
    const held = ticket();
    await held.settle('success');
    await held.settle('failure');
    expect(settled).toEqual(['success']);
  });
});
