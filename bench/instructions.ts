/**
 * `npm run bench:instructions`: the work of one request, counted in CPU instructions rather than
 * timed. Each server runs under valgrind's callgrind, which counts the instructions the process
 * executes whatever else the machine is doing; `node --predictable --single-threaded` keeps V8's
 * compiler and garbage collector on the main thread, so they are counted too, and in the same order
 * from run to run. The runner sends requests one after another over one keep-alive connection, so
 * every turn of the event loop serves exactly one request. After a warm-up that lets V8 finish
 * optimizing, it counts several windows of requests and reports their median and spread.
 *
 * This is the steady instrument that `npm run bench` is not on a small machine: there, even with the
 * server and the load generator on cores of their own, the figures of one run spread by tens of µs
 * between rounds, and the kernel's and the garbage collector's cost per request move with the rate.
 * Instructions are not
 * microseconds: the estimate in µs scales the difference by the floor's own user-space CPU time per
 * instruction, measured in the last `npm run bench` run (bench/results.json, at one offered load), which assumes the
 * library's code runs at the floor's average instructions per cycle.
 *
 * Needs valgrind (Debian's package). BENCH_INSTR_WARMUP (default 6000), BENCH_INSTR_REQUESTS (per
 * window, default 1000) and BENCH_INSTR_WINDOWS (default 5) trade time for noise.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { ORDER_ID } from './servers/bench-data';

const WARMUP = Number(process.env.BENCH_INSTR_WARMUP ?? 6000);
/**
 * Requests served with instrumentation on before the first window. For some 2,000 requests after
 * callgrind starts counting, V8 compiles again (by callgrind, about 140k of the first windows' extra
 * 200k instructions per request on Fastify's full server are V8's compiler), whatever the warm-up
 * before it: with 1,000 here, two or three of five windows were such windows, and the median moved
 * by 70k between runs of the same code.
 */
const INSTRUMENTED_WARMUP = 3000;
/**
 * Requests per keep-alive connection in the warm-ups. A new connection brings sockets and streams
 * whose hidden classes the code optimized on the first one had not seen: with \`--trace-deopt\`,
 * the second connection deoptimized some 30 of Node's stream and HTTP functions ("wrong map"), and
 * V8 was still recompiling them on the fifth (9 compilations over 1,000 requests, 2 on the sixth).
 * With the whole warm-up on one connection, every window, on a connection of its own, paid for that:
 * 10k to 60k instructions per request of compilation, on the floor and on the full server alike,
 * and windows spread by 60k. A warm-up over several connections reaches the state a server in use is
 * in, where connections come and go.
 */
const REQUESTS_PER_CONNECTION = 1000;
const PER_WINDOW = Number(process.env.BENCH_INSTR_REQUESTS ?? 1000);
const WINDOWS = Number(process.env.BENCH_INSTR_WINDOWS ?? 5);
const OUT = join(__dirname, '..', '..', 'bench');
const PATH = `/bench/orders/${ORDER_ID}`;

/** The servers counted: the same ones `npm run bench` times (its floor + 20 µs is timed, so not here). */
const VARIANTS = [
  { name: 'bare', server: 'bare', env: {} },
  { name: 'floor', server: 'floor', env: {} },
  { name: 'floorHeaders', server: 'floor', env: { FLOOR_HEADERS: '1' } },
  { name: 'full', server: 'full', env: {} },
  // Express only: `hardening.shapeExpressRequests` off, the chain's own logic without what it saves.
  { name: 'fullUnshaped', server: 'full', env: { BENCH_UNSHAPED: '1' } },
] as const;

type VariantName = (typeof VARIANTS)[number]['name'];

interface Counted {
  /** Median of the windows, instructions per request. */
  instructions: number;
  /** Lowest and highest window. */
  range: [number, number];
}

const round = (value: number): number => Math.round(value);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** `count` requests, one after another on one keep-alive connection; any answer but 200 fails the run. */
async function sequential(port: number, count: number, token: string | undefined): Promise<void> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    for (let i = 0; i < count; i++) {
      await new Promise<void>((resolve, reject) => {
        const req = request(
          {
            host: '127.0.0.1',
            port,
            path: PATH,
            agent,
            headers: token ? { authorization: `Bearer ${token}` } : {},
          },
          (res) => {
            res.resume();
            res.once('end', () =>
              res.statusCode === 200 ? resolve() : reject(new Error(`${PATH} answered ${res.statusCode}`)),
            );
          },
        );
        req.once('error', reject);
        req.end();
      });
    }
  } finally {
    agent.destroy();
  }
}

/** {@link sequential}, a new connection every {@link REQUESTS_PER_CONNECTION} requests. */
async function overConnections(port: number, count: number, token: string | undefined): Promise<void> {
  for (let sent = 0; sent < count; sent += REQUESTS_PER_CONNECTION) {
    await sequential(port, Math.min(REQUESTS_PER_CONNECTION, count - sent), token);
  }
}

function control(pid: number, ...args: string[]): void {
  const result = spawnSync('callgrind_control', [...args, String(pid)], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`callgrind_control ${args.join(' ')} failed: ${result.stderr}`);
}

/** The instruction total of the newest dump callgrind wrote into `dir`. */
function lastDumpTotal(dir: string): number {
  const dumps = readdirSync(dir)
    .filter((name) => /\.out\.\d+$/.test(name))
    .map((name) => join(dir, name))
    .sort((a, b) => statSync(a).mtimeMs - statSync(b).mtimeMs);
  const last = dumps.at(-1);
  if (!last) throw new Error('callgrind wrote no dump');
  const summary = /^(?:summary|totals): (\d+)/m.exec(readFileSync(last, 'utf8'));
  if (!summary) throw new Error(`no instruction total in ${last}`);
  return Number(summary[1]);
}

async function count(
  adapter: string,
  variant: (typeof VARIANTS)[number],
  token: string | undefined,
): Promise<Counted & { token?: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'api-security-instructions-'));
  // Instrumentation off while Nest boots (several times faster); on before the warm-up ends.
  const child: ChildProcess = spawn(
    'valgrind',
    [
      '--tool=callgrind',
      '--instr-atstart=no',
      `--callgrind-out-file=${join(dir, 'callgrind.out')}`,
      process.execPath,
      '--predictable',
      '--single-threaded',
      join(__dirname, 'servers', `${variant.server}.server.js`),
      adapter,
    ],
    { stdio: ['ignore', 'pipe', 'ignore'], env: { ...process.env, REDIS_URL: undefined, ...variant.env } },
  );
  try {
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout as NodeJS.ReadableStream }).once('line', resolve);
      child.once('exit', (code) => reject(new Error(`${variant.name} (${adapter}) exited with ${code}`)));
      child.once('error', reject);
    });
    const issued = JSON.parse(line) as { port: number; token?: string };
    const bearer = issued.token ?? token;
    const pid = child.pid as number;
    await overConnections(issued.port, WARMUP, bearer);
    control(pid, '--instr=on');
    await overConnections(issued.port, INSTRUMENTED_WARMUP, bearer);
    const perRequest: number[] = [];
    for (let window = 0; window < WINDOWS; window++) {
      control(pid, '--zero');
      await sequential(issued.port, PER_WINDOW, bearer);
      control(pid, '--dump');
      perRequest.push(lastDumpTotal(dir) / PER_WINDOW);
    }
    return {
      instructions: round(median(perRequest)),
      range: [round(Math.min(...perRequest)), round(Math.max(...perRequest))],
      ...(issued.token ? { token: issued.token } : {}),
    };
  } finally {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The floor's user-space CPU µs per instruction from the last `npm run bench`, to turn a difference
 * into µs. callgrind counts the instructions a process runs in user space, never the kernel's work on
 * its behalf (reading the request, writing the response, waking the client), which is about a third
 * of the floor's CPU time, with the same system calls for the floor and the full server (the response
 * a few hundred bytes longer): scaled by user + system time, the estimate counted that third again on
 * every instruction the library adds. The estimate is the user-space part of full − floor.
 * Its floor at one offered load where recorded (the steadier reading from run to run), else at
 * saturation; user + system time from a results file older than the user-space figures.
 */
function floorMicrosPerInstruction(adapter: string, floorInstructions: number): number | undefined {
  const file = join(OUT, 'results.json');
  if (!existsSync(file)) return undefined;
  interface Figures {
    cpuMicros?: { floor?: number };
    userCpuMicros?: { floor?: number };
  }
  const results = JSON.parse(readFileSync(file, 'utf8')) as Record<string, Figures & { equalLoad?: Figures }>;
  const figures = results[adapter];
  const floorMicros =
    figures?.equalLoad?.userCpuMicros?.floor ??
    figures?.userCpuMicros?.floor ??
    figures?.equalLoad?.cpuMicros?.floor ??
    figures?.cpuMicros?.floor;
  return floorMicros === undefined ? undefined : floorMicros / floorInstructions;
}

async function main(): Promise<void> {
  if (spawnSync('valgrind', ['--version']).status !== 0) throw new Error('valgrind is not installed');
  const started = Date.now();
  const results: Record<string, unknown> = {};
  const rows: string[] = [];
  const notes: string[] = [];
  for (const adapter of ['express', 'fastify']) {
    console.log(`== ${adapter}`);
    // The full server first: it issues the bearer token every server is sent.
    const counted = {} as Record<VariantName, Counted>;
    const full = await count(adapter, VARIANTS[3], undefined);
    counted.full = full;
    for (const variant of VARIANTS.slice(0, 3)) counted[variant.name] = await count(adapter, variant, full.token);
    const unshaped = adapter === 'express' ? await count(adapter, VARIANTS[4], full.token) : undefined;
    const logic = unshaped ? unshaped.instructions - counted.floor.instructions : undefined;
    const counts: [string, Counted][] = [
      ...VARIANTS.slice(0, 4).map(({ name }): [string, Counted] => [name, counted[name]]),
      ...(unshaped ? [['fullUnshaped', unshaped] as [string, Counted]] : []),
    ];
    const added = counted.full.instructions - counted.floor.instructions;
    const headers = counted.floorHeaders.instructions - counted.floor.instructions;
    const scale = floorMicrosPerInstruction(adapter, counted.floor.instructions);
    const estimate = scale === undefined ? undefined : Math.round(added * scale * 10) / 10;
    results[adapter] = {
      instructionsPerRequest: Object.fromEntries(counts.map(([name, c]) => [name, c.instructions])),
      instructionsRange: Object.fromEntries(counts.map(([name, c]) => [name, c.range])),
      addedInstructionsOverFloor: added,
      ...(unshaped && logic !== undefined
        ? {
            addedInstructionsOverFloorUnshaped: logic,
            shapingSavedInstructions: unshaped.instructions - counted.full.instructions,
          }
        : {}),
      headersInstructions: headers,
      addedOverFloorShare: Math.round((added / counted.floor.instructions) * 1000) / 1000,
      ...(estimate === undefined ? {} : { estimatedAddedCpuMicrosOverFloor: estimate }),
    };
    const k = (n: number) => `${Math.round(n / 100) / 10}k`;
    const cell = (name: VariantName) =>
      `${k(counted[name].instructions)} (${k(counted[name].range[0])}–${k(counted[name].range[1])})`;
    rows.push(
      `| ${adapter} | ${cell('bare')} | ${cell('floor')} | ${cell('floorHeaders')} | ${cell('full')} | **${k(added)}** (${Math.round((added / counted.floor.instructions) * 100)} % of floor) | ${k(headers)} | ${estimate ?? '–'} |`,
    );
    if (unshaped && logic !== undefined)
      notes.push(
        `${adapter}, \`shapeExpressRequests: false\`: full ${k(unshaped.instructions)} (${k(unshaped.range[0])}–${k(unshaped.range[1])}), so the chain's own logic is **${k(logic)}** over the floor${scale === undefined ? '' : ` (est. ${Math.round(logic * scale * 10) / 10} µs)`}, and the shaping saves Express ${k(unshaped.instructions - counted.full.instructions)} per request.`,
      );
  }
  const json = {
    date: new Date().toISOString(),
    machine: `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'unknown'}`,
    node: process.version,
    requestsPerWindow: PER_WINDOW,
    windows: WINDOWS,
    warmup: WARMUP,
    ...results,
  };
  writeFileSync(join(OUT, 'instructions.json'), `${JSON.stringify(json, null, 2)}\n`);
  const md = [
    '# Instructions per request',
    '',
    `Counted ${json.date} on ${json.machine}, Node ${process.version}, by \`npm run bench:instructions\` in ${Math.round((Date.now() - started) / 1000)} s.`,
    `Each server under valgrind's callgrind with \`node --predictable --single-threaded\`; \`GET ${PATH}\` sent one request at a`,
    `time over keep-alive connections, bearer token included for every server; ${WARMUP} + ${INSTRUMENTED_WARMUP} warm-up`,
    `requests over new connections every ${REQUESTS_PER_CONNECTION}, then ${WINDOWS} windows of ${PER_WINDOW}, each on a connection of its own:`,
    'median and range of the windows, instructions per request.',
    '',
    '| adapter | bare | floor | floor + headers | full | full − floor | headers alone | full − floor, est. µs |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
    "*est. µs*: full − floor in instructions times the floor's user-space CPU µs per instruction in the last",
    '`npm run bench` run (`bench/results.json`, its floor at one offered load): the user-space part of full − floor,',
    "since callgrind counts user space only (the kernel's part, mostly the longer response, is in the timed run's",
    "system time). It assumes the library's code retires instructions at the floor's average rate.",
    '',
    ...notes.flatMap((note) => [note, '']),
  ].join('\n');
  writeFileSync(join(OUT, 'instructions.md'), md);
  console.log(md);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
