import { responseOf } from '../common/graphql-context';
import { Injectable, Logger, type ExecutionContext, type OnModuleInit } from '@nestjs/common';
import type { SecurityRequest } from '../common/security-principal';
import { eventContext } from '../audit/event-context';
import { AppProviderIndex } from '../common/app-provider.index';
import { SecurityEventBus } from '../audit/security-event.bus';
import { ErrorCode } from '../errors/codes';
import { SecurityException } from '../errors/security.exception';
import { rawRequest, rawResponse } from '../common/raw-http';
import type { RoutePlan } from '../plan/route-plan';
import type { SecurityStep, SecurityStepContext } from '../plan/security-step';
import { FLOW_ESCALATION, RefuseFlowEscalation, type FlowEscalation } from './flow-escalation';
import type { FlowPlan } from '../plan/flow-plan';
import { isChallengeRefusal, type FlowRefusal, type FlowRefusalReason } from './flow-refusal';
import { ProofOfWorkService } from './proof-of-work.service';
import { holdFlowTicket, takeFlowTicket, type FlowTicket } from './flow-ticket';
import { VelocityService, type FlowCounter } from './velocity.service';

const CHALLENGE_CODES: Readonly<Partial<Record<FlowRefusalReason, { status: 400 | 409; code: ErrorCode }>>> = {
  challenge_missing: { status: 400, code: ErrorCode.CHALLENGE_REQUIRED },
  challenge_reused: { status: 409, code: ErrorCode.CHALLENGE_REUSED },
};

/**
 * The last step of the security guard: enforces `@SensitiveFlow` (OWASP API6) after
 * authentication, roles and ownership, so only requests that would otherwise run are counted.
 * In order: cooldown, velocity limits, then the proof-of-work answer, so a refused request does
 * not spend its challenge. It never looks at throttling metadata: `@SkipThrottle()` cannot turn
 * it off. Every refusal is offered to the {@link FlowEscalation}, emits `flow.refused`, and gives
 * back what the request had reserved (a challenge refusal counts as a failure of the flow).
 */
@Injectable()
export class FlowStep implements SecurityStep, OnModuleInit {
  readonly name: string = 'flow';
  protected readonly logger = new Logger('ApiSecurity');
  private found: FlowEscalation | undefined;

  constructor(
    protected readonly velocity: VelocityService,
    protected readonly proofOfWork: ProofOfWorkService,
    protected readonly events: SecurityEventBus,
    private readonly providers: AppProviderIndex,
  ) {}

  /** Resolves the escalation at boot, so a broken registration shows before the first request. */
  onModuleInit(): void {
    this.escalation();
  }

  /**
   * The app's {@link FlowEscalation} under `FLOW_ESCALATION`, found once at boot among the
   * application's providers (see AppProviderIndex); without a usable one, refusals stand.
   */
  protected escalation(): FlowEscalation {
    if (this.found) return this.found;
    const candidate = this.providers.find<unknown>(FLOW_ESCALATION);
    if (candidate !== undefined && typeof (candidate as Partial<FlowEscalation>).escalate !== 'function') {
      this.logger.error('The provider registered as FLOW_ESCALATION has no escalate method; flow refusals stand.');
    }
    this.found =
      typeof (candidate as Partial<FlowEscalation> | undefined)?.escalate === 'function'
        ? (candidate as FlowEscalation)
        : new RefuseFlowEscalation();
    return this.found;
  }

  appliesTo(plan: RoutePlan): boolean {
    return plan.flow !== undefined;
  }

  async run({ request, plan, execution: context }: SecurityStepContext): Promise<void> {
    const flow = plan.flow;
    if (!flow) return;
    const principalId = request.principal?.id;
    const ip = this.clientIp(request);
    let cooldownKey: string | undefined;
    if (flow.cooldownSeconds > 0) {
      const cooldown = await this.velocity.acquireCooldown(
        flow,
        principalId === undefined ? 'ip' : 'principal',
        principalId ?? ip,
      );
      if ('key' in cooldown) cooldownKey = cooldown.key;
      else {
        await this.refuse(request, plan, flow, undefined, {
          reason: 'cooldown',
          retryAfterSeconds: cooldown.retryAfterSeconds,
          scope: principalId === undefined ? 'ip' : 'principal',
        });
      }
    }
    const counters: FlowCounter[] = [
      ...(principalId === undefined
        ? []
        : flow.perPrincipal.map((limit) => ({ scope: 'principal' as const, subject: principalId, limit }))),
      ...flow.perIp.map((limit) => ({ scope: 'ip' as const, subject: ip, limit })),
    ];
    let reserved: Awaited<ReturnType<VelocityService['reserve']>> = { slots: [] };
    if (counters.length > 0) {
      try {
        reserved = await this.velocity.reserve(flow, counters);
      } catch (error) {
        await this.velocity.ticket(flow, [], cooldownKey).settle('cancelled');
        throw error;
      }
    }
    const ticket = this.velocity.ticket(flow, 'slots' in reserved ? reserved.slots : [], cooldownKey);
    if ('exceeded' in reserved) {
      await this.refuse(request, plan, flow, ticket, { reason: 'velocity', ...reserved.exceeded });
    }
    if (flow.challenge) {
      const body = (request as { body?: unknown }).body;
      const fields = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
      const read = (name: string): unknown => (Object.hasOwn(fields, name) ? fields[name] : undefined);
      let verdict: Awaited<ReturnType<ProofOfWorkService['verify']>>;
      try {
        verdict = await this.proofOfWork.verify(
          request.principal,
          flow.name,
          read(flow.challenge.challengeField),
          read(flow.challenge.nonceField),
        );
      } catch (error) {
        await ticket.settle('cancelled');
        throw error;
      }
      if (!verdict.ok) await this.refuse(request, plan, flow, ticket, { reason: verdict.reason });
    }
    this.hand(request, ticket, context);
  }

  /**
   * Leaves the ticket for the outcome interceptor to take, with a fallback owner should the
   * interceptor never run: whichever takes it first settles it, the other finds nothing.
   */
  protected hand(request: SecurityRequest, ticket: FlowTicket, context?: ExecutionContext): void {
    holdFlowTicket(request, ticket);
    const response = context ? responseOf(context) : undefined;
    if (!response) return;
    // A later guard or a failing pipe outside the interceptor: settle on what the client got.
    const raw = rawResponse(response);
    raw.once?.('close', () => {
      void takeFlowTicket(request)?.settle(raw.statusCode < 400 ? 'success' : 'failure');
    });
  }

  /** The IP the framework resolved (trust-proxy aware), else the socket's. */
  protected clientIp(request: SecurityRequest): string {
    return request.ip ?? rawRequest(request).socket?.remoteAddress ?? 'unknown';
  }

  /**
   * Offers the refusal to the escalation hook; unless it allows the request, gives back what the
   * request reserved, emits `flow.refused` and throws.
   */
  protected async refuse(
    request: SecurityRequest,
    plan: RoutePlan,
    flow: FlowPlan,
    ticket: FlowTicket | undefined,
    found: Omit<FlowRefusal, 'flow' | 'status'>,
  ): Promise<void> {
    const challenge = isChallengeRefusal(found.reason);
    const answer = challenge
      ? (CHALLENGE_CODES[found.reason] ?? { status: 400 as const, code: ErrorCode.CHALLENGE_INVALID })
      : { status: 429 as const, code: ErrorCode.FLOW_LIMITED };
    const refusal: FlowRefusal = { flow: flow.name, status: answer.status, ...found };
    let decision: string;
    try {
      decision = await this.escalation().escalate(refusal, request, plan);
    } catch (error) {
      await this.release(ticket, challenge);
      this.emit(request, plan, 'flow.refused', refusal, 'raised');
      throw error;
    }
    if (decision === 'allow') {
      this.emit(request, plan, 'flow.escalated', refusal, 'allowed');
      return;
    }
    await this.release(ticket, challenge);
    this.emit(request, plan, 'flow.refused', refusal, 'none');
    throw new SecurityException(answer.status, answer.code, {
      reason: `flow '${flow.name}' refused on ${plan.key} (${found.reason})`,
      ...(found.retryAfterSeconds === undefined ? {} : { headers: { 'Retry-After': String(found.retryAfterSeconds) } }),
    });
  }

  /** A refused challenge counts as a failed attempt; a velocity or cooldown refusal as nothing. */
  private async release(ticket: FlowTicket | undefined, challenge: boolean): Promise<void> {
    await ticket?.settle(challenge ? 'failure' : 'cancelled');
  }

  private emit(
    request: SecurityRequest,
    plan: RoutePlan,
    type: 'flow.refused' | 'flow.escalated',
    refusal: FlowRefusal,
    escalation: 'none' | 'raised' | 'allowed',
  ): void {
    this.events.emit({
      type,
      reason: refusal.reason,
      ...eventContext(request, plan.key),
      ...(request.principal ? { principalId: request.principal.id } : {}),
      details: {
        flow: refusal.flow,
        status: refusal.status,
        escalation,
        ...(refusal.scope ? { scope: refusal.scope } : {}),
        ...(refusal.limit ? { limit: refusal.limit } : {}),
        ...(refusal.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: refusal.retryAfterSeconds }),
      },
    });
  }
}
