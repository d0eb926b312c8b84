/**
 * `npm run bench:profile`: where a request's server CPU goes. For each adapter, the floor server and
 * the full server run under V8's sampling profiler (`--cpu-prof`) while autocannon loads
 * `GET /bench/orders/:id`; the process's own CPU time per request (`process.cpuUsage()`) is then
 * split by the profile's samples into who spent it: the library, Nest, rxjs, the HTTP framework,
 * Node's HTTP internals, the garbage collector. Full minus floor, per group, is the library's
 * added cost and where it lands. Writes bench/profile.md. Run it on a quiet machine: sampling
 * attributes wall time, which other processes on the same cores distort.
 *
 * BENCH_PROFILE_SECONDS (default 8) is the measured load per server.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import autocannon from 'autocannon';
import { ORDER_ID } from './servers/bench-data';

const SECONDS = Number(process.env.BENCH_PROFILE_SECONDS ?? 8);
const OUT = join(__dirname, '..', '..', 'bench');

const round1 = (value: number): number => Math.round(value * 10) / 10;

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

interface Stats {
  cpu: NodeJS.CpuUsage;
  requests: number;
  monotonicMicros: number;
}

interface Measured {
  requests: number;
  cpuMicros: number;
  /** Group → µs of CPU per request. */
  groups: Record<string, number>;
  /** Library functions by self time, µs per request. */
  top: [string, number][];
  /** Node's own functions (and natives) by self time, µs per request. */
  node: Map<string, number>;
  /**
   * µs per request in the library's code and what it calls (Node's header writes, crypto, the
   * store), whatever inlining did to self times: see `outermostLibraryFrame`.
   */
  underLibrary: number;
  /** The same, by the outermost library frame of each sample: the library's entry points. */
  entries: [string, number][];
  /** The bearer token the full server issued, sent by the load to every server. */
  token?: string;
}

const GROUPS = ['library', 'nest', 'rxjs', 'framework', 'node http', 'gc', 'other'] as const;

/** Groups a library call passes through on its way to a leaf: Node's internals and other dependencies. */
const TRANSPARENT: ReadonlySet<string> = new Set(['node http', 'other']);

/** A library frame as `function (file under src/)`. */
function describe(node: ProfileNode): string {
  return `${node.callFrame.functionName || '(anonymous)'} (${node.callFrame.url.replace(/.*\/(dist|src)\//, '')})`;
}

function groupOf(node: ProfileNode): string | undefined {
  const { url, functionName } = node.callFrame;
  if (functionName === '(idle)') return undefined;
  if (functionName === '(garbage collector)') return 'gc';
  if (url.includes('/libs/api-security/') || url.includes('@api-security/nestjs')) return 'library';
  if (url.includes('/@nestjs/')) return 'nest';
  if (url.includes('/rxjs/')) return 'rxjs';
  if (
    /\/(express|router|fastify|@fastify|find-my-way|light-my-request|avvio|body-parser|finalhandler|send|on-finished|path-to-regexp|parseurl|mime-types|content-type|etag|fresh|proxy-addr|qs)\//.test(
      url,
    )
  )
    return 'framework';
  if (url.startsWith('node:') || url === '') return 'node http';
  return 'other';
}

async function profileOne(server: string, adapter: string, bearer?: string): Promise<Measured> {
  const dir = mkdtempSync(join(tmpdir(), 'api-security-profile-'));
  const child: ChildProcess = spawn(
    process.execPath,
    ['--cpu-prof', `--cpu-prof-dir=${dir}`, join(__dirname, 'servers', `${server}.server.js`), adapter],
    { stdio: ['ignore', 'pipe', 'inherit', 'ipc'], env: { ...process.env, REDIS_URL: undefined } },
  );
  try {
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout as NodeJS.ReadableStream }).once('line', resolve);
      child.once('exit', (code) => reject(new Error(`${server} server (${adapter}) exited with ${code}`)));
    });
    const issued = JSON.parse(line) as { port: number; token?: string };
    const { port } = issued;
    // The floor gets the same request as the full chain, bearer token included: the client sends
    // those bytes whatever the server does with them, so parsing them is not the library's cost.
    const token = issued.token ?? bearer;
    const stats = (): Promise<Stats> =>
      new Promise((resolve) => {
        child.once('message', (message) => resolve(message as Stats));
        child.send('stats');
      });
    const load = (duration: number) =>
      autocannon({
        url: `http://127.0.0.1:${port}/bench/orders/${ORDER_ID}`,
        connections: 32,
        duration,
        headers: token ? { authorization: `Bearer ${token}` } : {},
      });
    await load(2);
    const before = await stats();
    const result = await load(SECONDS);
    const after = await stats();
    if (result.non2xx > 0 || result.errors > 0) throw new Error(`${server}/${adapter}: non-2xx answers`);
    const served = after.requests - before.requests;
    const cpuMicros = (after.cpu.user + after.cpu.system - before.cpu.user - before.cpu.system) / served;
    // The profile covers boot and warm-up too: only samples inside the measured window count. Its
    // timestamps and the server's hrtime are the same monotonic clock.
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGINT');
    await exited;
    const file = readdirSync(dir).find((name) => name.endsWith('.cpuprofile'));
    if (!file) throw new Error(`${server}/${adapter}: no profile written`);
    const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Profile;
    const byId = new Map(profile.nodes.map((node) => [node.id, node]));
    const parentOf = new Map<number, ProfileNode>();
    for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node);
    // The library's part of a sample: walking up from the leaf past Node's and dependencies' frames,
    // the first frame of a known party is the library's; then the outermost frame of that library run.
    // A library function that hands control on (Express's `next()` inside the hardening layer) is not
    // charged for what runs after it: those samples meet a framework or Nest frame first.
    const outermostLibraryFrame = (leaf: ProfileNode): ProfileNode | undefined => {
      let at: ProfileNode | undefined = leaf;
      while (at && TRANSPARENT.has(groupOf(at) ?? '')) at = parentOf.get(at.id);
      if (!at || groupOf(at) !== 'library') return undefined;
      let outermost: ProfileNode = at;
      for (; at; at = parentOf.get(at.id)) {
        const group = groupOf(at) ?? '';
        if (group === 'library') outermost = at;
        else if (!TRANSPARENT.has(group)) break;
      }
      return outermost;
    };
    const entryTime = new Map<string, number>();
    let underLibrary = 0;
    const groupTime = new Map<string, number>();
    const libraryTime = new Map<string, number>();
    const nodeTime = new Map<string, number>();
    let busy = 0;
    let at = profile.startTime;
    for (let i = 0; i < profile.samples.length; i++) {
      const node = byId.get(profile.samples[i]);
      const delta = profile.timeDeltas[i] ?? 0;
      at += delta;
      if (!node || at < before.monotonicMicros || at > after.monotonicMicros) continue;
      const group = groupOf(node);
      if (group === undefined) continue;
      busy += delta;
      groupTime.set(group, (groupTime.get(group) ?? 0) + delta);
      const entry = outermostLibraryFrame(node);
      if (entry) {
        underLibrary += delta;
        const where = describe(entry);
        entryTime.set(where, (entryTime.get(where) ?? 0) + delta);
      }
      if (group === 'library') {
        const where = describe(node);
        libraryTime.set(where, (libraryTime.get(where) ?? 0) + delta);
      }
      if (group === 'node http') {
        const where = `${node.callFrame.functionName || '(anonymous)'} (${node.callFrame.url.replace(/^node:internal\//, '') || 'native'})`;
        nodeTime.set(where, (nodeTime.get(where) ?? 0) + delta);
      }
    }
    const share = (time: number) => Math.round((time / busy) * cpuMicros * 10) / 10;
    return {
      requests: served,
      cpuMicros: Math.round(cpuMicros * 10) / 10,
      groups: Object.fromEntries(GROUPS.map((group) => [group, share(groupTime.get(group) ?? 0)])),
      top: [...libraryTime]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 12)
        .map(([where, time]): [string, number] => [where, share(time)]),
      node: new Map([...nodeTime].map(([where, time]) => [where, share(time)])),
      underLibrary: share(underLibrary),
      entries: [...entryTime]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 8)
        .map(([where, time]): [string, number] => [where, share(time)]),
      token: issued.token,
    };
  } finally {
    if (child.exitCode === null) child.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const rows: string[] = [];
  const tops: string[] = [];
  const nodeTops: string[] = [];
  const inclusive: string[] = [];
  for (const adapter of ['express', 'fastify']) {
    const full = await profileOne('full', adapter);
    const floor = await profileOne('floor', adapter, full.token);
    rows.push(
      `| ${adapter} | floor | ${floor.cpuMicros} | ${GROUPS.map((g) => floor.groups[g]).join(' | ')} |`,
      `| ${adapter} | full | ${full.cpuMicros} | ${GROUPS.map((g) => full.groups[g]).join(' | ')} |`,
      `| ${adapter} | **full − floor** | **${Math.round((full.cpuMicros - floor.cpuMicros) * 10) / 10}** | ${GROUPS.map(
        (g) => Math.round((full.groups[g] - floor.groups[g]) * 10) / 10,
      ).join(' | ')} |`,
    );
    inclusive.push(
      `### ${adapter}: ${full.underLibrary} µs per request under the library, of ${round1(full.cpuMicros - floor.cpuMicros)} full − floor`,
      '',
      '| entry point (outermost library frame) | µs per request, inclusive |',
      '| --- | --- |',
      ...full.entries.map(([where, micros]) => `| \`${where}\` | ${micros} |`),
      '',
    );
    tops.push(`### ${adapter}`, '', '| library function (self time) | µs per request |', '| --- | --- |');
    tops.push(...full.top.map(([where, micros]) => `| \`${where}\` | ${micros} |`), '');
    const nodeDiff = [...new Set([...full.node.keys(), ...floor.node.keys()])]
      .map((where): [string, number] => [where, round1((full.node.get(where) ?? 0) - (floor.node.get(where) ?? 0))])
      .sort((a, b) => b[1] - a[1])
      .slice(0, 12);
    nodeTops.push(
      `### ${adapter}`,
      '',
      '| Node function (self time) | full − floor, µs per request |',
      '| --- | --- |',
    );
    nodeTops.push(...nodeDiff.map(([where, micros]) => `| \`${where}\` | ${micros} |`), '');
  }
  const md = [
    '# Where the CPU of a request goes',
    '',
    `Measured ${new Date().toISOString()} on ${cpus().length} × ${cpus()[0]?.model.trim() ?? 'unknown'}, Node ${process.version}, by \`npm run bench:profile\`.`,
    `\`GET /bench/orders/:id\`, 32 connections, ${SECONDS} s per server under \`--cpu-prof\`. The server's own CPU time per`,
    'request (`process.cpuUsage()`) split by the share of profile samples in each group; the profiler itself adds',
    'some CPU, so these totals run a little above `npm run bench`.',
    '',
    `| adapter | server | CPU µs/request | ${GROUPS.join(' | ')} |`,
    `| --- | --- | --- | ${GROUPS.map(() => '---').join(' | ')} |`,
    ...rows,
    '',
    "*node http*: Node's HTTP parser, header handling and socket writes (the `writev` system call included);",
    '*framework*: Express or Fastify and their dependencies; *gc*: the garbage collector, which is paid for by',
    'whoever allocates.',
    '',
    '## Under the library, inclusive',
    '',
    "Samples in the library's code or in what it calls (Node's header writes, hashing, the store), up to the",
    "library's outermost frame; what runs after a library function hands control on (Express's `next()`) is",
    'not counted. The self times further down split the same time by function, but V8 inlines small functions',
    'into their callers, so self times blur between neighbours. What *full − floor* has beyond this is spent',
    "outside the library's calls: Nest and the framework running the enhancers and steps it registers, the",
    "longer response in Node and the kernel, and the kernel's cost per request at the lower rate the full",
    'server runs at.',
    '',
    ...inclusive,
    "## The library's own functions in the full chain",
    '',
    ...tops,
    "## Node's own functions: what the full chain adds",
    '',
    'Self time in Node (its JavaScript internals and native code), full minus floor, the largest first.',
    '',
    ...nodeTops,
  ].join('\n');
  writeFileSync(join(OUT, 'profile.md'), `${md}\n`);
  console.log(md);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
