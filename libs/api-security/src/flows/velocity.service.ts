import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { sanitizeForLog } from '../audit/security-event.bus';
import { SECURITY_CLOCK, systemClock, type SecurityClock } from '../common/clock';
import type { SecurityStore } from '../store/security-store';
import { InjectSecurityStore } from '../store/security-store.purpose';
import { flowCooldownKey, flowCounterKey, type FlowScope } from './flow.keys';
import type { FlowLimit, FlowPlan } from '../plan/flow-plan';
import { FlowTicket, type FlowOutcome, type FlowSettler, type FlowSlot as Slot } from './flow-ticket';

/** One limit to count for one subject. */
export interface FlowCounter {
  readonly scope: FlowScope;
  readonly subject: string;
  readonly limit: FlowLimit;
}

/** A limit found spent. */
export interface VelocityExceeded {
  readonly scope: FlowScope;
  readonly limit: string;
  readonly retryAfterSeconds: number;
}

const seconds = (ms: number): number => Math.max(1, Math.ceil(ms / 1000));

/**
 * Velocity limits and cooldowns of sensitive flows, on the shared {@link SecurityStore} so that
 * every instance counts together. Counters are fixed windows started by their first count.
 *
 * Every limit is exact under concurrency, on any number of instances: a slot is reserved with
 * one atomic store `reserve` per counter before the handler runs (a refused request takes
 * nothing), so N concurrent requests on a limit of L never admit more than L. For `successes` and
 * `failures` the slot is given back (`release`) when the outcome says it does not count; a
 * give-back that arrives after its window ended never frees a slot of the next window. `attempts`
 * never gives back. A cooldown is a lock taken before the handler (set-if-absent), restarted on
 * success and dropped on failure, so of concurrent requests exactly one holds it.
 */
@Injectable()
export class VelocityService implements FlowSettler {
  protected readonly logger = new Logger('ApiSecurity');
  private readonly now: SecurityClock;

  constructor(
    @InjectSecurityStore('velocity') protected readonly store: SecurityStore,
    @Optional() @Inject(SECURITY_CLOCK) clock?: SecurityClock,
  ) {
    this.now = clock ?? systemClock;
  }

  /**
   * Takes the cooldown lock of `subject`. Returns its key, or the seconds to wait when a success
   * (or a request still in flight) holds it.
   */
  async acquireCooldown(
    flow: FlowPlan,
    scope: FlowScope,
    subject: string,
  ): Promise<{ key: string } | { retryAfterSeconds: number }> {
    const key = flowCooldownKey(flow.name, scope, subject);
    const ms = flow.cooldownSeconds * 1000;
    if (await this.store.setIfAbsent(key, String(this.now() + ms), ms)) return { key };
    const until = Number(await this.store.get(key));
    return { retryAfterSeconds: Number.isFinite(until) ? seconds(until - this.now()) : 1 };
  }

  /**
   * Reserves a slot of every limit for the request. When one limit is spent, the slots taken from
   * the others are given back for `successes` and `failures` (for `attempts` they stay counted: the
   * request did reach the check). Each counter is its own atomic reservation, because the counters
   * of a principal and of an IP live in different Redis Cluster slots.
   */
  async reserve(
    flow: FlowPlan,
    counters: readonly FlowCounter[],
  ): Promise<{ slots: Slot[] } | { exceeded: VelocityExceeded }> {
    const taken = await Promise.all(
      counters.map(async (counter) => {
        const key = flowCounterKey(flow.name, counter.scope, counter.subject, flow.count, counter.limit.windowSeconds);
        const { reserved, counters: states } = await this.store.reserve([
          { key, cost: 1, limit: counter.limit.limit, windowMs: counter.limit.windowSeconds * 1000 },
        ]);
        return { counter, reserved, slot: { key, resetMs: states[0].resetMs } };
      }),
    );
    const over = taken.filter(({ reserved }) => !reserved);
    const held = taken.filter(({ reserved }) => reserved).map(({ slot }) => slot);
    if (over.length === 0) return { slots: flow.count === 'attempts' ? [] : held };
    if (flow.count !== 'attempts') await Promise.all(held.map((slot) => this.release(slot)));
    const longest = over.reduce((a, b) => (b.slot.resetMs > a.slot.resetMs ? b : a));
    return {
      exceeded: {
        scope: longest.counter.scope,
        limit: longest.counter.limit.text,
        retryAfterSeconds: seconds(longest.slot.resetMs),
      },
    };
  }

  ticket(flow: FlowPlan, slots: readonly Slot[], cooldownKey?: string): FlowTicket {
    return new FlowTicket(this, flow, slots, cooldownKey);
  }

  /** Applies an outcome to a ticket. Store errors are logged, never thrown: the response is already decided. */
  async settle(ticket: FlowTicket, outcome: FlowOutcome): Promise<void> {
    const { flow } = ticket;
    const giveBack =
      outcome === 'cancelled' ||
      (outcome === 'success' && flow.count === 'failures') ||
      (outcome === 'failure' && flow.count === 'successes');
    try {
      await Promise.all([
        ...(giveBack ? ticket.slots.map((slot) => this.release(slot)) : []),
        ...(ticket.cooldownKey ? [this.settleCooldown(flow, ticket.cooldownKey, outcome)] : []),
      ]);
    } catch (error) {
      this.logger.error(
        sanitizeForLog(
          `Could not settle flow '${flow.name}' (${outcome}): ${error instanceof Error ? error.message : String(error)}`,
        ),
      );
    }
  }

  /** Restarts the cooldown from the success, or frees it when nothing succeeded. */
  private async settleCooldown(flow: FlowPlan, key: string, outcome: FlowOutcome): Promise<void> {
    const ms = flow.cooldownSeconds * 1000;
    if (outcome === 'success') await this.store.set(key, String(this.now() + ms), ms);
    else await this.store.delete(key);
  }

  /** Gives one slot back to the window it was taken from (nothing, if that window has ended). */
  private async release(slot: Slot): Promise<void> {
    await this.store.release([{ key: slot.key, cost: 1, resetMs: slot.resetMs }]);
  }
}
