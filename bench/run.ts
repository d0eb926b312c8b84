/**
 * `npm run bench`: measures what the library's protection costs per request. Each target app runs
 * in its own process; autocannon runs here, on 127.0.0.1, interleaving the routes so that drift of
 * the machine affects all of them alike. Bounded in time; writes bench/results.{json,md}.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import autocannon from 'autocannon';

const DURATION_S = Number(process.env.BENCH_DURATION ?? 4);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = 32;
const ADAPTERS = ['express', 'fastify'] as const;

interface Target {
  child: ChildProcess;
  port: number;
  token: string;
}

interface Sample {
  requestsPerSecond: number;
  p99Ms: number;
  non2xx: number;
}

async function startTarget(adapter: string): Promise<Target> {
  const child = spawn(process.execPath, [join(__dirname, 'bench-server.js'), adapter], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: process.env,
  });
  const line = await new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    rl.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`bench server exited with ${code}`)));
  });
  const { port, token } = JSON.parse(line) as { port: number; token: string };
  return { child, port, token };
}

async function load(url: string, headers: Record<string, string>): Promise<Sample> {
  const result = await autocannon({ url, connections: CONNECTIONS, duration: DURATION_S, headers });
  return { requestsPerSecond: result.requests.average, p99Ms: result.latency.p99, non2xx: result.non2xx };
}

function mean(values: number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

async function main(): Promise<void> {
  const results: Record<string, Record<string, number>> = {};
  const rows: string[] = [];
  for (const adapter of ADAPTERS) {
    const target = await startTarget(adapter);
    try {
      const base = `http://127.0.0.1:${target.port}`;
      const bare: Sample[] = [];
      const jwt: Sample[] = [];
      await load(`${base}/bench/public`, {}); // warm-up
      for (let round = 0; round < ROUNDS; round++) {
        bare.push(await load(`${base}/bench/public`, {}));
        jwt.push(await load(`${base}/bench/jwt`, { authorization: `Bearer ${target.token}` }));
      }
      if (jwt.some((s) => s.non2xx > 0) || bare.some((s) => s.non2xx > 0)) {
        throw new Error(`${adapter}: some benchmark requests failed; the figures would be meaningless`);
      }
      const bareRps = mean(bare.map((s) => s.requestsPerSecond));
      const jwtRps = mean(jwt.map((s) => s.requestsPerSecond));
      results[adapter] = {
        bareRequestsPerSecond: Math.round(bareRps),
        jwtRequestsPerSecond: Math.round(jwtRps),
        bareP99Ms: mean(bare.map((s) => s.p99Ms)),
        jwtP99Ms: mean(jwt.map((s) => s.p99Ms)),
        jwtOverBare: Number((jwtRps / bareRps).toFixed(3)),
      };
      rows.push(
        `| ${adapter} | ${Math.round(bareRps)} | ${Math.round(jwtRps)} | ${results[adapter].bareP99Ms.toFixed(1)} | ${results[adapter].jwtP99Ms.toFixed(1)} | ${results[adapter].jwtOverBare.toFixed(2)}× |`,
      );
    } finally {
      target.child.kill();
    }
  }

  const meta = {
    date: new Date().toISOString(),
    node: process.version,
    cpus: `${cpus().length} × ${cpus()[0]?.model ?? 'unknown'}`,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    store: process.env.REDIS_URL ? 'redis' : 'memory',
    durationSeconds: DURATION_S,
    rounds: ROUNDS,
    connections: CONNECTIONS,
  };
  const out = join(__dirname, '..', '..', 'bench');
  const suffix = meta.store === 'redis' ? '.redis' : '';
  writeFileSync(join(out, `results${suffix}.json`), `${JSON.stringify({ meta, ...results }, null, 2)}\n`);
  const md = [
    '# Benchmark results',
    '',
    `Measured ${meta.date} on ${meta.cpus}, ${meta.memoryGiB} GiB, Node ${meta.node}; store: ${meta.store}.`,
    `autocannon, ${CONNECTIONS} connections, ${DURATION_S} s per sample, ${ROUNDS} interleaved rounds per route.`,
    '',
    '"jwt" is the same handler behind the full authentication step: bearer JWT verification (HS256) plus the',
    'revocation check in the store on every request.',
    '',
    '| adapter | public req/s | jwt req/s | public p99 ms | jwt p99 ms | jwt / public |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
  ].join('\n');
  writeFileSync(join(out, `results${suffix}.md`), md);
  console.log(md);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
