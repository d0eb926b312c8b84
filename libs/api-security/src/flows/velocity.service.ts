import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { sanitizeForLog } from '../audit/security-event.bus';
import { SECURITY_STORE, type SecurityStore } from '../store/security-store';
import { FLOW_CLOCK, type FlowClock } from './flow.clock';
import { flowCooldownKey, flowCounterKey, type FlowScope } from './flow.keys';
import type { FlowLimit, FlowPlan } from './flow-plan';
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
 * `successes` and `failures` are exact under concurrency: a slot is reserved atomically (INCR)
 * before the handler runs, so N concurrent requests on a limit of L never admit more than L, and
 * the slot is given back (DECR) when the outcome says it does not count. `attempts` counts every
 * request that reaches the check and never gives back. A cooldown is a lock taken before the
 * handler (set-if-absent), restarted on success and dropped on failure.
 */
@Injectable()
export class VelocityService implements FlowSettler {
  protected readonly logger = new Logger('ApiSecurity');
  private readonly now: FlowClock;

  constructor(
    @Inject(SECURITY_STORE) protected readonly store: SecurityStore,
    @Optional() @Inject(FLOW_CLOCK) clock?: FlowClock,
  ) {
    this.now = clock ?? (() => Date.now());
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
   * Counts the request against every limit. For `successes` and `failures` the slots are reserved
   * (and all given back at once if one limit is spent); for `attempts` they are simply counted.
   */
  async reserve(
    flow: FlowPlan,
    counters: readonly FlowCounter[],
  ): Promise<{ slots: Slot[] } | { exceeded: VelocityExceeded }> {
    const counted = await Promise.all(
      counters.map(async (counter) => {
        const windowMs = counter.limit.windowSeconds * 1000;
        const key = flowCounterKey(flow.name, counter.scope, counter.subject, flow.count, counter.limit.windowSeconds);
        const state = await this.store.increment(key, windowMs);
        return { counter, slot: { key, windowMs }, state };
      }),
    );
    const over = counted.filter(({ counter, state }) => state.value > counter.limit.limit);
    if (over.length === 0) return { slots: flow.count === 'attempts' ? [] : counted.map(({ slot }) => slot) };
    if (flow.count !== 'attempts') await Promise.all(counted.map(({ slot }) => this.release(slot)));
    const longest = over.reduce((a, b) => (b.state.ttlMs > a.state.ttlMs ? b : a));
    return {
      exceeded: {
        scope: longest.counter.scope,
        limit: longest.counter.limit.text,
        retryAfterSeconds: seconds(longest.state.ttlMs),
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

  /**
   * Gives one slot back. Should the window have ended meanwhile, the decrement created a fresh
   * counter at -1, which would grant an extra slot: it is brought back to 0.
   */
  private async release(slot: Slot): Promise<void> {
    const { value } = await this.store.increment(slot.key, slot.windowMs, -1);
    if (value < 0) await this.store.increment(slot.key, slot.windowMs, -value);
  }
}
