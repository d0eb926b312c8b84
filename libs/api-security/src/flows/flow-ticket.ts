import type { FlowPlan } from '../plan/flow-plan';

/** How a request that passed the flow check ended. `cancelled`: refused before its handler ran. */
export type FlowOutcome = 'success' | 'failure' | 'cancelled';

/** A reserved counter slot: its store key, and the time its window had left when it was reserved. */
export interface FlowSlot {
  readonly key: string;
  /** What the store's `reserve` reported: a give-back never reaches a later window of the counter. */
  readonly resetMs: number;
}

/** Applies an outcome to a ticket (the velocity service). */
export interface FlowSettler {
  settle(ticket: FlowTicket, outcome: FlowOutcome): Promise<void>;
}

/**
 * What a request holds after passing the flow check: the counter slots it reserved and the
 * cooldown it took. It has one owner, whoever {@link takeFlowTicket takes} it first: the outcome
 * interceptor (which settles before the response is written) or, if that never ran, the flow
 * step's listener on the response's close. Settling twice is a no-op all the same.
 */
export class FlowTicket {
  private settled = false;

  constructor(
    private readonly settler: FlowSettler,
    readonly flow: FlowPlan,
    readonly slots: readonly FlowSlot[],
    readonly cooldownKey?: string,
  ) {}

  async settle(outcome: FlowOutcome): Promise<void> {
    if (this.settled) return;
    this.settled = true;
    await this.settler.settle(this, outcome);
  }
}

/** Tickets not yet taken, by request: nothing is written on the request itself. */
const unclaimed = new WeakMap<object, FlowTicket>();

/** Leaves the request's ticket to be taken by its owner (see {@link takeFlowTicket}). */
export function holdFlowTicket(request: object, ticket: FlowTicket): void {
  unclaimed.set(request, ticket);
}

/**
 * Takes the request's ticket: the caller becomes its only owner and must settle it. Undefined
 * when the request has none or another owner took it first.
 */
export function takeFlowTicket(request: unknown): FlowTicket | undefined {
  if (typeof request !== 'object' || request === null) return undefined;
  const ticket = unclaimed.get(request);
  if (ticket) unclaimed.delete(request);
  return ticket;
}
