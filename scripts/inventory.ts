import type { RouteInventoryEntry } from '@api-security/nestjs';
import { readSampleApp } from './sample-document';

/**
 * Prints the sample app's route inventory (OWASP API9) without starting the HTTP server:
 * `npm run inventory` for a table, `npm run inventory -- --json` for JSON.
 */
function cells(route: RouteInventoryEntry): string[] {
  const ownership =
    route.ownership === null
      ? '-'
      : route.ownership.kind === 'resource'
        ? `${route.ownership.resource}(:${route.ownership.param}) ${route.ownership.onDenied}`
        : `none: ${route.ownership.reason}`;
  const inherited = route.effectiveRoles.filter((role) => !route.roles.includes(role));
  const roles = `${route.roles.join(',') || '-'}${inherited.length > 0 ? ` (+${inherited.join(',')})` : ''}`;
  const writable = Object.entries(route.writableFields).map(([field, roles]) => `${field}:${roles.join('|')}`);
  return [
    route.method,
    route.path,
    route.public ? 'public' : 'auth',
    roles,
    ownership,
    writable.join(' ') || '-',
    route.rateLimits.map((t) => `${t.name} ${t.limit}/${t.windowSeconds}s`).join(', ') || '-',
    route.flow ?? '-',
    route.deprecation ? `sunset ${route.deprecation.sunset.slice(0, 10)} → ${route.deprecation.successor ?? '-'}` : '-',
  ];
}

export function table(routes: readonly RouteInventoryEntry[]): string {
  const header = [
    'METHOD',
    'PATH',
    'ACCESS',
    'ROLES (+INHERITED)',
    'OWNERSHIP',
    'WRITABLE BY',
    'RATE LIMIT',
    'FLOW',
    'DEPRECATION',
  ];
  const rows = [header, ...routes.map(cells)];
  const widths = header.map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

async function main(): Promise<void> {
  const { inventory } = await readSampleApp();
  process.stdout.write(
    process.argv.includes('--json') ? `${JSON.stringify(inventory, null, 2)}\n` : `${table(inventory)}\n`,
  );
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
