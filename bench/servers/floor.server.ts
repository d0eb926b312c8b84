/**
 * Nest's own cost of a guarded, intercepted route: the bare handler behind a global guard and a
 * global interceptor that do nothing. `full` minus `floor` is what the library itself costs.
 */
import 'reflect-metadata';
import { Controller, Get, Module, NotFoundException, Param } from '@nestjs/common';
import { APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import { ORDERS, userView } from './bench-data';
import { NoopGuard, NoopInterceptor } from './noop-enhancers';
import { serve } from './serve';

/**
 * `BENCH_ADDED_WORK_US=N`: the handler also spends about N µs of CPU on plain arithmetic. This
 * checks the instrument, not the library: how many µs per request does the runner report for N µs
 * of work added to the floor? (At saturation, a slower server also pays more per request for
 * waking the load generator, so the answer is more than N.)
 */
const ADDED_WORK_US = Number(process.env.BENCH_ADDED_WORK_US ?? 0);
let sink = 0;

function spin(iterations: number): void {
  let x = sink;
  for (let i = 0; i < iterations; i++) x = (Math.imul(x, 1103515245) + 12345) | 0;
  sink = x;
}

/** Iterations of {@link spin} that take `micros` µs of CPU here: the fastest of five timed runs. */
function calibrate(micros: number): number {
  const iterations = 20_000_000;
  spin(iterations); // optimized before it is timed
  let fastest = Infinity;
  for (let run = 0; run < 5; run++) {
    const start = process.cpuUsage();
    spin(iterations);
    const used = process.cpuUsage(start);
    fastest = Math.min(fastest, used.user + used.system);
  }
  return Math.round((iterations / fastest) * micros);
}

const WORK_ITERATIONS = ADDED_WORK_US > 0 ? calibrate(ADDED_WORK_US) : 0;

@Controller('bench')
class FloorController {
  @Get('orders/:id')
  get(@Param('id') id: string): Record<string, unknown> {
    if (WORK_ITERATIONS > 0) spin(WORK_ITERATIONS);
    const order = ORDERS.get(id);
    if (!order) throw new NotFoundException();
    return userView(order);
  }
}

@Module({
  controllers: [FloorController],
  providers: [
    { provide: APP_GUARD, useClass: NoopGuard },
    { provide: APP_INTERCEPTOR, useClass: NoopInterceptor },
  ],
})
class FloorModule {}

/**
 * `FLOOR_HEADERS=1`: the same security headers the library sends, named as it names them (lowercase),
 * written by a plain listener with no logic, to price the headers themselves (Node's header handling
 * and the larger response).
 */
const HEADERS: [string, string][] = [
  ['x-request-id', '3f1c9b2e-7a41-4d0c-9a57-1f2e3d4c5b6a'],
  ['content-security-policy', "default-src 'none';frame-ancestors 'none'"],
  ['cross-origin-resource-policy', 'same-origin'],
  ['referrer-policy', 'no-referrer'],
  ['strict-transport-security', 'max-age=31536000; includeSubDomains'],
  ['x-content-type-options', 'nosniff'],
  ['x-frame-options', 'DENY'],
  ['cache-control', 'no-store'],
  ['ratelimit-policy', '"default";q=999999999;w=60'],
  ['ratelimit', '"default";r=999999998;t=60'],
];

void serve(FloorModule, async (app) => {
  if (process.env.FLOOR_HEADERS === '1') {
    (app.getHttpServer() as import('node:http').Server).prependListener('request', (_req, res) => {
      for (const [name, value] of HEADERS) res.setHeader(name, value);
    });
  }
  return {};
});
