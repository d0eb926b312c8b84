/**
 * `npm run bench`: what the protection costs, measured in one run. For Express and Fastify, three
 * apps serve the same handler, each in its own process: bare (no security), the library's full
 * chain, and the usual hand-assembled stack. autocannon runs here, on 127.0.0.1, interleaving the
 * targets round by round so machine drift hits them alike. Then: the rate limiter's admission
 * under concurrency, store micro-benchmarks and field projection (child processes). Writes
 * bench/results.json and bench/results.md. Redis figures are added when REDIS_URL is set.
 *
 * BENCH_DURATION (seconds per sample, default 3) and BENCH_ROUNDS (default 5) trade time for noise.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import autocannon from 'autocannon';
import { ORDER_ID } from './servers/bench-data';

const DURATION_S = Number(process.env.BENCH_DURATION ?? 3);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const CONNECTIONS = 32;
/** Connection counts of the latency-under-load comparison (full against floor). */
const LATENCY_CONNECTIONS = [32, 256] as const;
/**
 * The offered load (req/s) at which floor, floor + headers, floor + work and full are also compared.
 * At saturation each variant runs at its own rate, and what the kernel spends per request (waking
 * the load generator, batching socket writes) depends on that rate; at one rate for all, the
 * difference is the work per request. Unless BENCH_EQUAL_LOAD sets it, each adapter's rate is
 * {@link EQUAL_LOAD_SHARE} of the slowest of the four at saturation in the same run, so that every
 * one serves all of it on whatever machine the bench runs.
 */
const EQUAL_LOAD_RPS = process.env.BENCH_EQUAL_LOAD ? Number(process.env.BENCH_EQUAL_LOAD) : undefined;
const EQUAL_LOAD_SHARE = 0.6;
const ADAPTERS = ['express', 'fastify'] as const;
/** µs of plain computation added to the floor by `floorWork`, to check what the instrument reads for it. */
const ADDED_WORK_US = 20;
const REDIS_URL = process.env.REDIS_URL;
/**
 * Cores: every server runs on the last CPU and this process, the load generator, on the others.
 * Sharing all cores, a server at saturation competes with autocannon for them, and its CPU time per
 * request then moves with how busy the load generator is: on 2 cores a known 20 µs read as 14 to
 * 78 µs. BENCH_PIN=0 turns it off; it needs taskset (util-linux) and at least 2 CPUs, and the report
 * says whether it was in effect.
 */
const PINNING = pin();
const OUT = join(__dirname, '..', '..', 'bench');

interface Target {
  child: ChildProcess;
  port: number;
  token?: string;
}

interface ServerStats {
  cpu: NodeJS.CpuUsage;
  requests: number;
  roundTrips?: number;
}

/** One sample: autocannon's view and the server's own CPU time over the same requests. */
interface Sample {
  rps: number;
  p50: number;
  p99: number;
  /** Server CPU (user + system) per request served, µs. */
  cpuMicros: number;
  /** The user-space part of {@link cpuMicros}: what `npm run bench:instructions` counts. */
  userMicros: number;
  /** Store round trips per request, where the server counts them. */
  roundTrips?: number;
}

interface Measured {
  requestsPerSecond: number;
  p99Ms: number;
  /** Median of the samples' server CPU per request, µs. */
  cpuMicros: number;
  /** Lowest and highest sample of the same figure: the spread between rounds. */
  cpuMicrosRange: [number, number];
  /** Median of the samples' user-space CPU per request, µs (the rest is the kernel's, on the server's behalf). */
  userCpuMicros: number;
  roundTripsPerRequest?: number;
}

/**
 * `a − b` taken round by round, each round's sample of `a` against the same round's sample of `b`,
 * then the median and range of those differences. Measured back to back, the two samples of a round
 * see the machine in the same state; the speed of this machine drifts by tens of percent between
 * rounds, which a difference of two medians of independent samples carries whole (Fastify's full −
 * floor read 13.7 and 37.5 µs so in two runs of the same code, where the paired median read 24.8).
 */
interface Paired {
  median: number;
  range: [number, number];
}

function pin(): { serverCpus: string; loadGeneratorCpus: string } | undefined {
  const count = cpus().length;
  if (process.env.BENCH_PIN === '0' || count < 2) return undefined;
  const loadGeneratorCpus = count === 2 ? '0' : `0-${count - 2}`;
  try {
    // -a: every thread of this process, autocannon's sockets and Node's own threads alike.
    execFileSync('taskset', ['-a', '-p', '-c', loadGeneratorCpus, String(process.pid)], { stdio: 'ignore' });
  } catch {
    console.warn('taskset failed: servers and load generator share every core (see PINNING)');
    return undefined;
  }
  return { serverCpus: String(count - 1), loadGeneratorCpus };
}

async function start(server: string, adapter: string, env: Record<string, string | undefined> = {}): Promise<Target> {
  const args = [join(__dirname, 'servers', `${server}.server.js`), adapter];
  // taskset execs Node in its own process, so the IPC channel and the pid stay the server's.
  const child = PINNING
    ? spawn('taskset', ['-c', PINNING.serverCpus, process.execPath, ...args], {
        stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
        env: { ...process.env, ...env },
      })
    : spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit', 'ipc'], env: { ...process.env, ...env } });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`${server} server (${adapter}) exited with ${code}`)));
  });
  return { child, ...(JSON.parse(line) as { port: number; token?: string }) };
}

/** The server's CPU time and counters so far, asked over its IPC channel. */
function stats(target: Target): Promise<ServerStats> {
  return new Promise((resolve) => {
    target.child.once('message', (message) => resolve(message as ServerStats));
    target.child.send('stats');
  });
}

async function load(
  target: Target,
  path: string,
  durationS = DURATION_S,
  connections = CONNECTIONS,
  overallRate?: number,
): Promise<Sample> {
  const before = await stats(target);
  const result = await autocannon({
    url: `http://127.0.0.1:${target.port}${path}`,
    connections,
    duration: durationS,
    ...(overallRate !== undefined ? { overallRate } : {}),
    headers: target.token ? { authorization: `Bearer ${target.token}` } : {},
  });
  const after = await stats(target);
  if (result.non2xx > 0 || result.errors > 0) {
    throw new Error(
      `${path}: ${result.non2xx} non-2xx answers and ${result.errors} errors; the figures would be meaningless`,
    );
  }
  // Counted by the server: autocannon's total leaves out the requests still in flight when a
  // sample ends, which the server served (and spent CPU and store round trips on) all the same.
  const served = after.requests - before.requests;
  const cpu = after.cpu.user + after.cpu.system - (before.cpu.user + before.cpu.system);
  const user = after.cpu.user - before.cpu.user;
  const trips =
    after.roundTrips !== undefined && before.roundTrips !== undefined
      ? (after.roundTrips - before.roundTrips) / served
      : undefined;
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    cpuMicros: cpu / served,
    userMicros: user / served,
    ...(trips !== undefined ? { roundTrips: trips } : {}),
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const round1 = (value: number): number => Math.round(value * 10) / 10;

function summarise(samples: Sample[]): Measured {
  const cpu = samples.map((s) => s.cpuMicros);
  const trips = samples.map((s) => s.roundTrips).filter((t): t is number => t !== undefined);
  return {
    requestsPerSecond: Math.round(median(samples.map((s) => s.rps))),
    p99Ms: round1(median(samples.map((s) => s.p99))),
    cpuMicros: round1(median(cpu)),
    cpuMicrosRange: [round1(Math.min(...cpu)), round1(Math.max(...cpu))],
    userCpuMicros: round1(median(samples.map((s) => s.userMicros))),
    ...(trips.length ? { roundTripsPerRequest: Math.round(median(trips) * 1000) / 1000 } : {}),
  };
}

function paired(a: readonly Sample[], b: readonly Sample[], of: (s: Sample) => number = (s) => s.cpuMicros): Paired {
  const differences = a.map((sample, round) => of(sample) - of(b[round]));
  return {
    median: round1(median(differences)),
    range: [round1(Math.min(...differences)), round1(Math.max(...differences))],
  };
}

/** One figure of each server compared with the floor (floor + headers, floor, full, floor + work). */
function ofCompared<K extends keyof Measured>(
  measured: Record<string, Measured>,
  figure: K,
): Record<'floor' | 'floorHeaders' | 'floorWork' | 'full', Measured[K]> {
  return {
    floor: measured.floor[figure],
    floorHeaders: measured.floorHeaders[figure],
    floorWork: measured.floorWork[figure],
    full: measured.full[figure],
  };
}

const ratio = (a: Measured, b: Measured): number =>
  Math.round((a.requestsPerSecond / b.requestsPerSecond) * 1000) / 1000;

/** Ablations: the library installed, one protection doing work (see AblationController). */
const ABLATIONS = {
  headers: '/bench/ablation/headers',
  authentication: '/bench/ablation/authentication',
  rateLimit: '/bench/ablation/rate-limit',
  projection: '/bench/ablation/projection',
} as const;

/** The interleaved HTTP comparison on one adapter. */
async function httpRound(adapter: string): Promise<Record<string, unknown>> {
  const order = `/bench/orders/${ORDER_ID}`;
  const targets: [string, Target, string][] = [];
  const stop: Target[] = [];
  try {
    const bare = await start('bare', adapter);
    const floor = await start('floor', adapter);
    const floorHeaders = await start('floor', adapter, { FLOOR_HEADERS: '1' });
    const floorWork = await start('floor', adapter, { BENCH_ADDED_WORK_US: String(ADDED_WORK_US) });
    const full = await start('full', adapter, { REDIS_URL: undefined });
    const usual = await start('usual', adapter);
    stop.push(bare, floor, floorHeaders, floorWork, full, usual);
    // Express only: the full chain with `shapeExpressRequests` off, i.e. its own logic alone.
    const unshaped =
      adapter === 'express' ? await start('full', adapter, { REDIS_URL: undefined, BENCH_UNSHAPED: '1' }) : undefined;
    if (unshaped) stop.push(unshaped);
    // Every server gets the same request, bearer token included: the client sends those bytes
    // whatever the server does with them, so reading them is not the library's cost.
    for (const target of [bare, floor, floorHeaders, floorWork]) target.token = full.token;
    // The servers compared with the floor, measured back to back in every round (see Paired); the
    // others rotate around them.
    const compared: [string, Target, string][] = [
      ['floorHeaders', floorHeaders, order],
      ['floor', floor, order],
      ['full', full, order],
      ['floorWork', floorWork, order],
    ];
    targets.push(
      ['bare', bare, order],
      ['fullUnlimited', full, `/bench/unlimited/${ORDER_ID}`],
      ['usual', usual, order],
      ...(unshaped ? [['fullUnshaped', unshaped, order] as [string, Target, string]] : []),
      ...Object.entries(ABLATIONS).map(([name, path]): [string, Target, string] => [`ablation.${name}`, full, path]),
    );
    if (REDIS_URL) {
      const redis = await start('full', adapter, { REDIS_URL });
      stop.push(redis);
      targets.push(['fullRedis', redis, order], ['fullRedisUnlimited', redis, `/bench/unlimited/${ORDER_ID}`]);
    }
    for (const [, target, path] of [...compared, ...targets]) await load(target, path, 1); // warm-up: JIT, caches, connections
    const samples = new Map<string, Sample[]>([...compared, ...targets].map(([name]) => [name, []]));
    const slots = targets.length + 1;
    for (let round = 0; round < ROUNDS; round++) {
      // Rotate the order each round so no target always runs right after the same neighbour; the
      // compared group takes one slot, its order reversed every other round.
      for (let i = 0; i < slots; i++) {
        const slot = (i + round) % slots;
        const group = slot === targets.length ? (round % 2 ? [...compared].reverse() : compared) : [targets[slot]];
        for (const [name, target, path] of group) samples.get(name)?.push(await load(target, path));
      }
    }
    const over = (name: string, base = 'floor', of?: (s: Sample) => number): Paired =>
      paired(samples.get(name) as Sample[], samples.get(base) as Sample[], of);
    const m = Object.fromEntries([...samples].map(([name, s]) => [name, summarise(s)])) as Record<string, Measured>;
    // Tail latency under load: full against floor, at each connection count, interleaved.
    const latency: Record<string, Record<string, { p50Ms: number; p99Ms: number; requestsPerSecond: number }>> = {};
    for (const connections of LATENCY_CONNECTIONS) {
      const runs: Record<string, Sample[]> = { floor: [], full: [] };
      for (let round = 0; round < 2; round++) {
        for (const [name, target] of round % 2
          ? ([
              ['full', full],
              ['floor', floor],
            ] as const)
          : ([
              ['floor', floor],
              ['full', full],
            ] as const)) {
          runs[name].push(await load(target, order, DURATION_S, connections));
        }
      }
      latency[`connections${connections}`] = Object.fromEntries(
        Object.entries(runs).map(([name, s]) => [
          name,
          {
            p50Ms: round1(median(s.map((x) => x.p50))),
            p99Ms: round1(median(s.map((x) => x.p99))),
            requestsPerSecond: Math.round(median(s.map((x) => x.rps))),
          },
        ]),
      );
    }
    // CPU per request at one offered load for all four (see EQUAL_LOAD_RPS), interleaved.
    const equalRate =
      EQUAL_LOAD_RPS ??
      Math.floor(
        (EQUAL_LOAD_SHARE *
          Math.min(...['floor', 'floorHeaders', 'floorWork', 'full'].map((name) => m[name].requestsPerSecond))) /
          100,
      ) * 100;
    const equal: Record<string, Sample[]> = { floor: [], floorHeaders: [], floorWork: [], full: [] };
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, target] of round % 2 ? [...compared].reverse() : compared) {
        equal[name].push(await load(target, order, DURATION_S, CONNECTIONS, equalRate));
      }
    }
    const overAtEqualLoad = (name: string, of?: (s: Sample) => number): Paired => paired(equal[name], equal.floor, of);
    const added = over('full');
    const addedAtEqualLoad = overAtEqualLoad('full');
    const userTime = (s: Sample): number => s.userMicros;
    const atEqualLoad = Object.fromEntries(Object.entries(equal).map(([name, s]) => [name, summarise(s)])) as Record<
      string,
      Measured
    >;
    const ablations = Object.fromEntries(
      Object.keys(ABLATIONS).map((name) => {
        const a = m[`ablation.${name}`];
        return [name, { ...a, addedCpuMicrosOverFloor: over(`ablation.${name}`).median }];
      }),
    );
    return {
      bare: m.bare,
      floor: m.floor,
      floorHeaders: m.floorHeaders,
      full: m.full,
      fullUnlimited: m.fullUnlimited,
      usual: m.usual,
      ...(m.fullUnshaped ? { fullUnshaped: m.fullUnshaped } : {}),
      ...(m.fullRedis ? { fullRedis: m.fullRedis, fullRedisUnlimited: m.fullRedisUnlimited } : {}),
      cpuMicros: {
        bare: m.bare.cpuMicros,
        floor: m.floor.cpuMicros,
        floorHeaders: m.floorHeaders.cpuMicros,
        floorWork: m.floorWork.cpuMicros,
        full: m.full.cpuMicros,
        usual: m.usual.cpuMicros,
        ...(m.fullRedis ? { fullRedis: m.fullRedis.cpuMicros } : {}),
        ...(m.fullUnshaped ? { fullUnshaped: m.fullUnshaped.cpuMicros } : {}),
      },
      userCpuMicros: ofCompared(m, 'userCpuMicros'),
      // The library's cost: full − floor round by round (see Paired), its median and range.
      addedCpuMicrosOverFloor: added.median,
      addedCpuMicrosOverFloorRange: added.range,
      // The same, as the difference of the two medians: what this report gave before it paired rounds.
      addedCpuMicrosOverFloorUnpaired: round1(m.full.cpuMicros - m.floor.cpuMicros),
      addedUserCpuMicrosOverFloor: over('full', 'floor', userTime).median,
      // Express: the chain's own logic (shaping off) over the floor, and what the shaping saves Express.
      ...(m.fullUnshaped
        ? {
            addedCpuMicrosOverFloorUnshaped: over('fullUnshaped').median,
            shapingSavedCpuMicros: over('fullUnshaped', 'full').median,
          }
        : {}),
      // What the headers alone cost (floor + the same headers written by a plain listener), and the
      // library's cost beyond writing them.
      headersCpuMicros: over('floorHeaders').median,
      addedCpuMicrosOverFloorWithHeaders: over('full', 'floorHeaders').median,
      // The instrument's reading of ADDED_WORK_US µs of plain computation added to the floor.
      instrumentCheck: {
        addedWorkMicros: ADDED_WORK_US,
        readAtSaturation: over('floorWork').median,
        readAtEqualLoad: overAtEqualLoad('floorWork').median,
      },
      ablations,
      equalLoad: {
        requestsPerSecond: equalRate,
        cpuMicros: ofCompared(atEqualLoad, 'cpuMicros'),
        cpuMicrosRange: ofCompared(atEqualLoad, 'cpuMicrosRange'),
        userCpuMicros: ofCompared(atEqualLoad, 'userCpuMicros'),
        addedCpuMicrosOverFloor: addedAtEqualLoad.median,
        addedCpuMicrosOverFloorRange: addedAtEqualLoad.range,
        addedCpuMicrosOverFloorUnpaired: round1(atEqualLoad.full.cpuMicros - atEqualLoad.floor.cpuMicros),
        addedUserCpuMicrosOverFloor: overAtEqualLoad('full', userTime).median,
        headersCpuMicros: overAtEqualLoad('floorHeaders').median,
      },
      latency,
      ...(m.fullRedis?.roundTripsPerRequest !== undefined
        ? { redisRoundTripsPerRequest: m.fullRedis.roundTripsPerRequest }
        : {}),
      fullOverBare: ratio(m.full, m.bare),
      fullOverUsual: ratio(m.full, m.usual),
      usualOverBare: ratio(m.usual, m.bare),
      floorOverBare: ratio(m.floor, m.bare),
      rateLimitedOverUnlimited: ratio(m.full, m.fullUnlimited),
      ...(m.fullRedis
        ? {
            fullRedisOverBare: ratio(m.fullRedis, m.bare),
            redisRateLimitedOverUnlimited: ratio(m.fullRedis, m.fullRedisUnlimited),
          }
        : {}),
    };
  } finally {
    for (const target of stop) target.child.kill();
  }
}

/** 200 concurrent requests against a limit of 50: how many were admitted. */
async function admission(): Promise<Record<string, number>> {
  const burst = async (targets: Target[]): Promise<number> => {
    const token = targets[0].token;
    const statuses = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        fetch(`http://127.0.0.1:${targets[i % targets.length].port}/bench/orders/${ORDER_ID}`, {
          headers: { authorization: `Bearer ${token}` },
        }).then(async (res) => {
          await res.arrayBuffer();
          return res.status;
        }),
      ),
    );
    if (statuses.some((s) => s !== 200 && s !== 429))
      throw new Error(`unexpected statuses ${[...new Set(statuses)].join(',')}`);
    return statuses.filter((s) => s === 200).length;
  };
  const result: Record<string, number> = {};
  const memory = await start('full', 'express', { REDIS_URL: undefined, BENCH_RATE_LIMIT: '50/60s' });
  try {
    result.memoryOneInstance = await burst([memory]);
  } finally {
    memory.child.kill();
  }
  if (REDIS_URL) {
    const env = { REDIS_URL, BENCH_RATE_LIMIT: '50/60s', BENCH_KEY_PREFIX: `bench-admission-${process.pid}:` };
    const one = await start('full', 'express', env);
    const two = await start('full', 'fastify', env);
    try {
      result.redisTwoInstances = await burst([one, two]);
    } finally {
      one.child.kill();
      two.child.kill();
    }
  }
  return result;
}

function runChild(script: string, args: string[] = []): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...args, join(__dirname, script)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${script} exited with ${code}`))));
  });
}

async function main(): Promise<void> {
  const started = Date.now();
  const meta = {
    date: new Date().toISOString(),
    node: process.version,
    cpus: `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'unknown'}`,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    redis: Boolean(REDIS_URL),
    durationSeconds: DURATION_S,
    rounds: ROUNDS,
    connections: CONNECTIONS,
    pinning: PINNING ?? 'none',
    versions: versions(),
  };
  const http: Record<string, Record<string, unknown>> = {};
  for (const adapter of ADAPTERS) {
    console.log(`== ${adapter}: bare / full / usual, ${ROUNDS} interleaved rounds of ${DURATION_S} s`);
    http[adapter] = await httpRound(adapter);
  }
  console.log('== admission under concurrency');
  const admitted = await admission();
  console.log('== rate-limit store');
  const store = JSON.parse((await runChild('store.bench.js', ['--expose-gc'])).trim().split('\n').pop() as string);
  console.log('== field projection');
  await runChild('projection.bench.js');
  const projection = JSON.parse(readFileSync(join(OUT, 'projection-results.json'), 'utf8')) as Record<
    string,
    { ratio: number; projectionOpsPerSec: number; classSerializerOpsPerSec: number }
  >;
  const results = {
    meta: { ...meta, elapsedSeconds: Math.round((Date.now() - started) / 1000) },
    express: http.express,
    fastify: http.fastify,
    projectionOverClassSerializer: projection.items1000.ratio,
    projectionOverClassSerializer10k: projection.items10000.ratio,
    projection,
    admission: admitted,
    store,
  };
  writeFileSync(join(OUT, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  const md = markdown(results);
  writeFileSync(join(OUT, 'results.md'), md);
  console.log(md);
}

function versions(): Record<string, string> {
  const read = (name: string): string =>
    (JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8')) as { version: string }).version;
  return Object.fromEntries(
    [
      '@nestjs/core',
      '@nestjs/platform-express',
      '@nestjs/platform-fastify',
      '@nestjs/throttler',
      '@nestjs/passport',
      'passport-jwt',
      'class-transformer',
      'autocannon',
    ].map((name) => [name, read(name)]),
  );
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a report over a JSON tree
function markdown(r: any): string {
  const row = (adapter: string): string => {
    const a = r[adapter];
    const cell = (m: Measured) => `${m.requestsPerSecond} / ${m.p99Ms}`;
    return `| ${adapter} | ${cell(a.bare)} | ${cell(a.full)} | ${cell(a.usual)} | **${a.fullOverBare.toFixed(2)}×** | **${a.fullOverUsual.toFixed(2)}×** | ${a.usualOverBare.toFixed(2)}× |`;
  };
  const limiter = (adapter: string): string => {
    const a = r[adapter];
    const redis = a.fullRedis
      ? `${a.fullRedis.requestsPerSecond} / ${a.fullRedisUnlimited.requestsPerSecond} = ${a.redisRateLimitedOverUnlimited.toFixed(2)}×`
      : 'not run (no REDIS_URL)';
    return `| ${adapter} | ${a.full.requestsPerSecond} / ${a.fullUnlimited.requestsPerSecond} = ${a.rateLimitedOverUnlimited.toFixed(2)}× | ${redis} |`;
  };
  const hits = Object.entries(
    r.store.costPerHit as Record<string, { oursOpsPerSec: number; throttlerOpsPerSec: number }>,
  )
    .map(
      ([n, v]) =>
        `| ${Number(n).toLocaleString('en')} | ${v.oursOpsPerSec.toLocaleString('en')} | ${v.throttlerOpsPerSec.toLocaleString('en')} |`,
    )
    .join('\n');
  const cpu = (m: Measured) => `${m.cpuMicros} (${m.cpuMicrosRange[0]}–${m.cpuMicrosRange[1]})`;
  const cpuRow = (adapter: string): string => {
    const a = r[adapter];
    return `| ${adapter} | ${cpu(a.bare)} | ${cpu(a.floor)} | ${cpu(a.floorHeaders)} | ${cpu(a.full)} | ${cpu(a.usual)} | **${a.addedCpuMicrosOverFloor}** (${a.addedCpuMicrosOverFloorRange[0]}–${a.addedCpuMicrosOverFloorRange[1]}) | ${a.addedCpuMicrosOverFloorWithHeaders} |`;
  };
  const equalRow = (adapter: string): string => {
    const e = r[adapter].equalLoad;
    const c = (name: string) => `${e.cpuMicros[name]} (${e.cpuMicrosRange[name][0]}–${e.cpuMicrosRange[name][1]})`;
    return `| ${adapter} | ${e.requestsPerSecond} | ${c('floor')} | ${c('floorHeaders')} | ${c('full')} | **${e.addedCpuMicrosOverFloor}** (${e.addedCpuMicrosOverFloorRange[0]}–${e.addedCpuMicrosOverFloorRange[1]}) | ${e.headersCpuMicros} |`;
  };
  const userRow = (adapter: string): string => {
    const a = r[adapter];
    const e = a.equalLoad;
    return `| ${adapter} | ${a.userCpuMicros.floor} | ${a.userCpuMicros.full} | ${a.addedUserCpuMicrosOverFloor} | ${a.addedCpuMicrosOverFloorUnpaired} | ${e.userCpuMicros.floor} | ${e.userCpuMicros.full} | ${e.addedUserCpuMicrosOverFloor} | ${e.addedCpuMicrosOverFloorUnpaired} |`;
  };
  const checkRow = (adapter: string): string => {
    const c = r[adapter].instrumentCheck;
    return `| ${adapter} | ${c.addedWorkMicros} | ${c.readAtSaturation} | ${c.readAtEqualLoad} |`;
  };
  const ablationRow = (adapter: string): string => {
    const a = r[adapter].ablations;
    return `| ${adapter} | ${['headers', 'authentication', 'rateLimit', 'projection'].map((k) => `${a[k].addedCpuMicrosOverFloor}`).join(' | ')} | ${r[adapter].addedCpuMicrosOverFloor} |`;
  };
  const latencyRows = (adapter: string): string[] =>
    Object.entries(
      r[adapter].latency as Record<string, Record<string, { p50Ms: number; p99Ms: number; requestsPerSecond: number }>>,
    ).map(
      ([k, v]) =>
        `| ${adapter} | ${k.replace('connections', '')} | ${v.floor.p50Ms} / ${v.floor.p99Ms} (${v.floor.requestsPerSecond} req/s) | ${v.full.p50Ms} / ${v.full.p99Ms} (${v.full.requestsPerSecond} req/s) |`,
    );
  const tripsRow = (adapter: string): string => {
    const a = r[adapter];
    return a.fullRedis
      ? `| ${adapter} | ${a.redisRoundTripsPerRequest ?? 'not counted'} | ${cpu(a.fullRedis)} |`
      : `| ${adapter} | not run (no REDIS_URL) | |`;
  };
  return [
    '# Benchmark results',
    '',
    `Measured ${r.meta.date} on ${r.meta.cpus}, ${r.meta.memoryGiB} GiB, Node ${r.meta.node}, in ${r.meta.elapsedSeconds} s.`,
    `autocannon on 127.0.0.1 from a separate process, ${r.meta.connections} connections, ${r.meta.durationSeconds} s per sample, ${r.meta.rounds} interleaved rounds; medians.`,
    r.meta.pinning === 'none'
      ? 'Servers and load generator shared every core (BENCH_PIN=0, or taskset missing).'
      : `Servers pinned to CPU ${r.meta.pinning.serverCpus}, the load generator to CPU ${r.meta.pinning.loadGeneratorCpus} (taskset).`,
    `Versions: ${Object.entries(r.meta.versions)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}.`,
    '',
    '## Server CPU per request (µs, median and range of the rounds)',
    '',
    "The server process's own CPU time (user + system, `process.cpuUsage()`) over a sample, divided by the",
    'requests it served in that sample. *floor*: the bare handler behind a no-op global guard and a no-op',
    "global interceptor, which is what Nest itself costs a guarded route. *full − floor* is the library's own cost,",
    'taken round by round: each round measures floor + headers, floor, full and floor + work back to back, and the',
    "column gives the median (and range) of the rounds' differences, which the machine's drift between rounds",
    'does not move. Every server gets the same request, bearer token included.',
    '',
    '*floor + headers*: the same, plus the security headers the library sends, written by a plain listener: what',
    "the headers themselves cost in Node. *full − (floor + headers)* is the library's logic.",
    '',
    '| adapter | bare | floor | floor + headers | full | usual | full − floor | full − (floor + headers) |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    cpuRow('express'),
    cpuRow('fastify'),
    '',
    r.express.fullUnshaped
      ? `Express with \`hardening.shapeExpressRequests: false\`: full ${cpu(r.express.fullUnshaped)} µs, so the chain's own logic costs **${r.express.addedCpuMicrosOverFloorUnshaped}** µs over the floor, and the shaping saves Express ${r.express.shapingSavedCpuMicros} µs per request (see docs/benchmarks.md).`
      : '',
    '',
    `At one offered load for all of them, ${EQUAL_LOAD_RPS === undefined ? `${EQUAL_LOAD_SHARE * 100} % of the slowest one's rate at saturation above` : 'the rate BENCH_EQUAL_LOAD sets'} (there each runs`,
    'at its own rate; what the kernel spends per request, and how many requests are in flight when the garbage',
    'collector runs, move with that rate):',
    '',
    '| adapter | offered req/s | floor | floor + headers | full | full − floor | headers alone |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    equalRow('express'),
    equalRow('fastify'),
    '',
    `Instrument check: the floor with ${ADDED_WORK_US} µs of plain arithmetic added to its handler, read the same way`,
    '(µs over floor). It allocates nothing and awaits nothing, so it shows how well each method reads added',
    'computation, not what a chain that allocates and awaits pays at each rate.',
    '',
    '| adapter | work added | read at saturation | read at equal load |',
    '| --- | --- | --- | --- |',
    checkRow('express'),
    checkRow('fastify'),
    '',
    "User-space CPU per request (µs, medians): the part of the server's CPU time spent outside the kernel, which",
    '`npm run bench:instructions` counts in instructions. *unpaired*: full − floor as the difference of the two medians.',
    '',
    '| adapter | floor | full | full − floor | unpaired (user + system) | floor, equal load | full, equal load | full − floor | unpaired (user + system) |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    userRow('express'),
    userRow('fastify'),
    '',
    'Ablations, CPU over floor (µs): the library installed, one protection doing work (headers are set on every',
    'response, so each column includes them).',
    '',
    '| adapter | headers | authentication | rate limit | projection | full |',
    '| --- | --- | --- | --- | --- | --- |',
    ablationRow('express'),
    ablationRow('fastify'),
    '',
    '## Latency under load (p50 / p99 ms)',
    '',
    '| adapter | connections | floor | full |',
    '| --- | --- | --- | --- |',
    ...latencyRows('express'),
    ...latencyRows('fastify'),
    '',
    '## Store round trips per request on Redis',
    '',
    'Counted by the Redis store over the sample, on the protected, rate-limited route.',
    '',
    '| adapter | round trips per request | CPU per request (µs) |',
    '| --- | --- | --- |',
    tripsRow('express'),
    tripsRow('fastify'),
    '',
    '## One route, three stacks (req/s / p99 ms)',
    '',
    '`GET /bench/orders/:id` returning one order. *bare*: no security. *full*: the library (hardening headers, JWT',
    'HS256 + revocation check in the store, rate limit, roles, ownership resolver, field projection), memory store.',
    '*usual*: passport-jwt AuthGuard + RolesGuard + ownership check in the controller + ThrottlerGuard +',
    'ValidationPipe + ClassSerializerInterceptor.',
    '',
    '| adapter | bare | full | usual | full / bare | full / usual | usual / bare |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    row('express'),
    row('fastify'),
    '',
    '## Rate limiting',
    '',
    'Rate-limited route over the same route with `@SkipThrottle()` (req/s), full chain otherwise identical:',
    '',
    '| adapter | memory store | Redis store |',
    '| --- | --- | --- |',
    limiter('express'),
    limiter('fastify'),
    '',
    `Admission: 200 concurrent requests against a limit of 50 admitted **${r.admission.memoryOneInstance}** on one instance (memory)` +
      (r.admission.redisTwoInstances !== undefined
        ? ` and **${r.admission.redisTwoInstances}** over two instances (one Express, one Fastify) sharing Redis.`
        : '; the two-instance Redis run needs REDIS_URL.'),
    '',
    'Store cost per hit with N live hits in the window (ops/s, one key):',
    '',
    '| live hits | api-security MemorySecurityStore.consume | @nestjs/throttler ThrottlerStorageService.increment |',
    '| --- | --- | --- |',
    hits,
    '',
    r.store.redis
      ? `Redis consume script (two counters per call): ${r.store.redis.sequential.toLocaleString('en')} calls/s sequential, ${r.store.redis.concurrent32.toLocaleString('en')} calls/s with 32 in flight.`
      : 'Redis consume throughput: not run (no REDIS_URL).',
    '',
    `Memory: ${r.store.memory.keys.toLocaleString('en')} limiter keys take ${r.store.memory.heapMiB} MiB of heap (${r.store.memory.bytesPerKey} bytes per key, keys of about 50 characters).`,
    '',
    '## Field projection against ClassSerializerInterceptor',
    '',
    '| items | projection ops/s | instanceToPlain ops/s | ratio |',
    '| --- | --- | --- | --- |',
    ...Object.entries(
      r.projection as Record<string, { projectionOpsPerSec: number; classSerializerOpsPerSec: number; ratio: number }>,
    ).map(
      ([name, p]) =>
        `| ${name.replace('items', '')} | ${p.projectionOpsPerSec} | ${p.classSerializerOpsPerSec} | **${p.ratio}×** |`,
    ),
    '',
    "Ops/s are the medians of the rounds; the ratio is the median of each round's ratio (the two ran back to back).",
    '',
  ].join('\n');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
