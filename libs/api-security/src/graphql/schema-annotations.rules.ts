import { isObjectType, type GraphQLSchema } from 'graphql';
import type { RoutePlan } from '../plan/route-plan';

/** Marks the end of a user's description, so that an annotated schema is never annotated twice. */
const MARK = 'Security: ';

/**
 * The security decision of a resolver's plan as one sentence for its schema description, e.g.
 * "Security: Requires role admin." or "Security: Owner only (id from argument id)."; undefined for
 * a plan that is not a resolver's.
 */
export function securityNote(plan: RoutePlan): string | undefined {
  if (!plan.graphql) return undefined;
  if (plan.isPublic) return `${MARK}Public, no authentication.`;
  const parts: string[] = [];
  const roles = plan.roles?.required ?? [];
  if (roles.length === 1) parts.push(`Requires role ${roles[0]}.`);
  else if (roles.length > 1) parts.push(`Requires one of the roles ${roles.join(', ')}.`);
  const ownership = plan.ownership;
  if (ownership?.kind === 'resource') {
    const source = ownership.from === 'parent' ? `parent field ${ownership.param}` : `argument ${ownership.param}`;
    parts.push(`Owner only (id from ${source}).`);
    const bypass = ownership.bypassRoles;
    if (bypass.length === 1) parts.push(`Role ${bypass[0]} bypasses the owner check.`);
    else if (bypass.length > 1) parts.push(`Roles ${bypass.join(', ')} bypass the owner check.`);
  }
  if (plan.scopes !== undefined && plan.scopes.length > 0) parts.push(`API keys need scope ${plan.scopes.join(', ')}.`);
  if (parts.length === 0) parts.push('Requires authentication.');
  return `${MARK}${parts.join(' ')}`;
}

/**
 * Appends each resolver's {@link securityNote} to its field's description in the schema (after the
 * user's own, never replacing it), so that introspection, and documentation generated from it,
 * show the access rules. Returns how many fields were annotated; a field already annotated is left.
 */
export function annotateSchema(schema: GraphQLSchema, plans: readonly RoutePlan[]): number {
  let annotated = 0;
  for (const plan of plans) {
    const note = securityNote(plan);
    if (note === undefined || !plan.graphql) continue;
    const type = schema.getType(plan.graphql.type);
    if (!isObjectType(type)) continue;
    const field = type.getFields()[plan.graphql.field];
    if (!field || field.description?.includes(MARK)) continue;
    field.description = field.description ? `${field.description}\n\n${note}` : note;
    annotated++;
  }
  return annotated;
}
