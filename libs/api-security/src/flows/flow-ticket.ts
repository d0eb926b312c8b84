import type { FlowPlan } from './flow-plan';

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
 * cooldown it took. Settled exactly once, by the outcome interceptor (before the response is
 * written) or, if that never ran, when the response closes.
 */
export class FlowTicket {
  /** Set by the outcome interceptor: from then on only it settles the ticket. */
  intercepted = false;
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

/** Request property holding the ticket the outcome interceptor settles. */
export const FLOW_TICKET = Symbol.for('api-security:FlowTicket');

/** The ticket a request got from the flow check, if any. */
export function flowTicketOf(request: unknown): FlowTicket | undefined {
  return (request as { [FLOW_TICKET]?: FlowTicket } | undefined)?.[FLOW_TICKET];
}

/** Hands the ticket to the outcome interceptor. */
export function attachFlowTicket(request: object, ticket: FlowTicket): void {
  (request as { [FLOW_TICKET]?: FlowTicket })[FLOW_TICKET] = ticket;
}
