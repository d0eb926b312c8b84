import { Injectable } from '@nestjs/common';
import type { OwnershipPlan } from '../authorization/authorization-plan';
import { RoutePlanRegistry } from '../pipeline/route-plan.registry';

/** A route's ownership decision as reported: the resource checked, an explicit opt-out, or none. */
export type RouteInventoryOwnership =
  | { kind: 'resource'; resource: string; param: string; onDenied: 404 | 403; bypassRoles: string[] }
  | { kind: 'opt-out'; reason: string }
  | null;

/** One route and its security decisions, as the inventory reports it. */
export interface RouteInventoryEntry {
  method: string;
  path: string;
  versions: string[];
  controller: string;
  handler: string;
  public: boolean;
  /** `@Roles`: any one of them (or a role that includes it) is required; empty when none. */
  roles: string[];
  /** `@Scopes` required of API-key principals; empty when none. */
  scopes: string[];
  ownership: RouteInventoryOwnership;
}

function ownershipEntry(ownership: OwnershipPlan | undefined): RouteInventoryOwnership {
  if (!ownership) return null;
  if (ownership.kind === 'opt-out') return { kind: 'opt-out', reason: ownership.reason };
  return {
    kind: 'resource',
    resource: ownership.resource,
    param: ownership.param,
    onDenied: ownership.onDenied,
    bypassRoles: [...ownership.bypassRoles],
  };
}

/** Lists every route the application serves with its security metadata (OWASP API9). */
@Injectable()
export class RouteInventoryService {
  constructor(private readonly registry: RoutePlanRegistry) {}

  /** Plain JSON-safe data (no resolver instances, no Sets), ready to serve from an admin endpoint. */
  list(): RouteInventoryEntry[] {
    return this.registry.plans().map((plan) => ({
      method: plan.method,
      path: plan.path,
      versions: [...plan.versions],
      controller: plan.controller,
      handler: plan.handler,
      public: plan.isPublic,
      roles: [...(plan.roles?.required ?? [])],
      scopes: [...(plan.scopes ?? [])],
      ownership: ownershipEntry(plan.ownership),
    }));
  }
}
