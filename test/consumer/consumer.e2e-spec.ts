import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * The package as users get it: `npm run pack:lib`'s tarball installed into fresh apps outside the
 * repository, next to a `nest new` app's dependencies (plus class-validator and class-transformer)
 * and no optional peer, type-checked with `strict` and `skipLibCheck: false`, booted with node and
 * called over HTTP. Once as an ES module app, once as a CommonJS one (test/consumer/templates/esm
 * and cjs, which mirror `nest new`), and once as an ES module app with RouterModule and Swagger UI
 * (test/consumer/templates/esm-router, which also installs @nestjs/swagger).
 */

type Variant = 'esm' | 'cjs';
const VARIANTS: readonly Variant[] = ['esm', 'cjs'];
type Template = Variant | 'esm-router';

const ROOT = path.resolve(__dirname, '../..');
const TEMPLATES = path.join(__dirname, 'templates');
const rootManifest = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

/** What `nest new` installs plus the validation pair the library's pipe needs; nothing optional. */
const APP_DEPENDENCIES = [
  '@nestjs/common',
  '@nestjs/core',
  '@nestjs/platform-express',
  'reflect-metadata',
  'rxjs',
  'class-validator',
  'class-transformer',
];
const APP_DEV_DEPENDENCIES = ['typescript', '@types/node'];
const OPTIONAL_PEERS = [
  'ioredis',
  'typeorm',
  '@nestjs/swagger',
  'supertest',
  'graphql',
  '@nestjs/graphql',
  '@nestjs/apollo',
  '@nestjs/mercurius',
  'mercurius',
  '@apollo/server',
];
/** The router app documents itself: Swagger is its one optional peer. */
const ROUTER_APP_DEPENDENCIES = [...APP_DEPENDENCIES, '@nestjs/swagger'];

const JWT_SECRET = randomBytes(32).toString('base64url');
const USER_A = { id: 'user-a', email: 'a@example.com', password: 'password-of-user-a' };
const USER_B = { id: 'user-b', email: 'b@example.com', password: 'password-of-user-b' };

// Installs take about half a minute each on a warm npm cache; the type-check as long again.
const PACK_TIMEOUT = 120_000;
const PREPARE_TIMEOUT = 360_000;
const BOOT_TIMEOUT = 60_000;

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/** npm settings a developer's own shell would pass on; npm's per-run variables (prefixes, the running package…) are not. */
const KEPT_NPM_VARIABLES = new Set(
  ['cache', 'registry', 'userconfig', 'globalconfig', 'cafile', 'proxy', 'https_proxy', 'noproxy', 'strict_ssl'].map(
    (name) => `npm_config_${name}`,
  ),
);

/** This process's environment minus what `npm test` and Jest added, plus `extra`. */
function shellEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (/^npm_/i.test(name) && !KEPT_NPM_VARIABLES.has(name.toLowerCase())) continue;
    if (name === 'NODE_ENV' || name === 'NODE_OPTIONS' || name.startsWith('JEST_')) continue;
    env[name] = value;
  }
  return { ...env, NO_COLOR: '1', ...extra };
}

interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(command: string, args: readonly string[], cwd: string, env = shellEnv()): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], shell: command === 'npm.cmd' });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function runOrThrow(command: string, args: readonly string[], cwd: string, env?: NodeJS.ProcessEnv) {
  const result = await run(command, args, cwd, env);
  if (result.code !== 0) {
    throw new Error(
      `${[command, ...args].join(' ')} exited with ${result.code} in ${cwd}\n${result.stdout}\n${result.stderr}`,
    );
  }
  return result;
}

/** `npm run pack:lib`: builds the library and packs it; the last stdout line is the tarball. */
async function pack(): Promise<string> {
  const { stdout } = await runOrThrow(process.execPath, ['scripts/pack-lib.js'], ROOT, process.env);
  const tarball = stdout.trim().split('\n').pop() ?? '';
  if (!tarball.endsWith('.tgz') || !existsSync(tarball)) throw new Error(`pack-lib printed no tarball: ${stdout}`);
  return tarball;
}

function pick(versions: Record<string, string>, names: readonly string[]): Record<string, string> {
  return Object.fromEntries(
    names.map((name) => {
      const version = versions[name];
      if (version === undefined) throw new Error(`the root package.json has no version of ${name}`);
      return [name, version];
    }),
  );
}

interface PreparedApp {
  dir: string;
  /** `tsc -p tsconfig.json` (type-check and compile): its exit code and what it printed. */
  typeCheck: Finished;
}

/** The installed TypeScript compiler of the app, on the app's own tsconfig.json. */
function typeCheck(dir: string, ...flags: string[]): Promise<Finished> {
  return run(
    process.execPath,
    [path.join(dir, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json', ...flags],
    dir,
  );
}

/** A copy of the template in a new directory under the OS temp dir, installed and compiled. */
async function prepare(
  template: Template,
  tarball: string,
  dependencies: readonly string[] = APP_DEPENDENCIES,
): Promise<PreparedApp> {
  const dir = mkdtempSync(path.join(tmpdir(), `api-security-consumer-${template}-`));
  try {
    cpSync(path.join(TEMPLATES, template), dir, { recursive: true });
    const manifestPath = path.join(dir, 'package.json');
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Record<string, unknown>;
    manifest.dependencies = {
      ...pick(rootManifest.dependencies, dependencies),
      '@api-security/nestjs': `file:${tarball}`,
    };
    manifest.devDependencies = pick(rootManifest.devDependencies, APP_DEV_DEPENDENCIES);
    writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
    // npm 11 skips argon2's install script (not in allowScripts): argon2 ships prebuilt binaries, and
    // the app hashes its users' passwords with it at boot.
    await runOrThrow(npm, ['install', '--prefer-offline', '--no-audit', '--no-fund'], dir);
    return { dir, typeCheck: await typeCheck(dir) };
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

interface RunningApp {
  url: string;
  process: ChildProcess;
}

/** `node dist/src/main.js` on a free port; resolves with the URL of its ready line. */
function boot(dir: string): Promise<RunningApp> {
  const child = spawn(process.execPath, ['dist/src/main.js'], {
    cwd: dir,
    env: shellEnv({ PORT: '0', JWT_SECRET }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no ready line within ${BOOT_TIMEOUT} ms:\n${output}`)),
      BOOT_TIMEOUT,
    );
    const collect = (chunk: string): void => {
      output += chunk;
      const ready = /ready on (http:\/\/\S+)/.exec(output);
      if (ready) {
        clearTimeout(timer);
        resolve({ url: ready[1] as string, process: child });
      }
    };
    child.stdout.setEncoding('utf8').on('data', collect);
    child.stderr.setEncoding('utf8').on('data', collect);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the app exited with ${code} before it was ready:\n${output}`));
    });
  });
}

async function stop(app: RunningApp | undefined): Promise<void> {
  if (!app || app.process.exitCode !== null || app.process.signalCode !== null) return;
  const exited = new Promise((resolve) => app.process.once('exit', resolve));
  app.process.kill('SIGTERM');
  await exited;
}

interface Answer {
  status: number;
  contentType: string | null;
  wwwAuthenticate: string | null;
  headers: Headers;
  body: unknown;
}

async function call(url: string, init: RequestInit = {}): Promise<Answer> {
  const response = await fetch(url, init);
  const text = await response.text();
  const contentType = response.headers.get('content-type');
  return {
    status: response.status,
    contentType,
    wwwAuthenticate: response.headers.get('www-authenticate'),
    headers: response.headers,
    body: text === '' || !/json/.test(contentType ?? '') ? text || undefined : (JSON.parse(text) as unknown),
  };
}

/** The headers the library promises on every response (docs/api8-misconfiguration.md). */
function expectHardenedHeaders(answer: Answer): void {
  expect(answer.headers.get('x-content-type-options')).toBe('nosniff');
  expect(answer.headers.get('strict-transport-security')).toMatch(/max-age=31536000/);
  expect(answer.headers.get('referrer-policy')).toBe('no-referrer');
  expect(answer.headers.get('x-frame-options')).toBe('DENY');
  expect(answer.headers.get('x-powered-by')).toBeNull();
  expect(answer.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
}

function bearer(token: string): Record<string, string> {
  return { Authorization: `Bearer ${token}` };
}

/** The ```ts block under README.md's "## Quick start". */
function readmeQuickStart(): string {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const match = /^## Quick start\n+```ts\n([\s\S]*?)^```$/m.exec(readme);
  if (!match) throw new Error('README.md has no ```ts block right under "## Quick start"');
  return match[1] as string;
}

/** The ```ts block under README.md's "## Login recipe". */
function readmeLoginRecipe(): string {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const match = /^## Login recipe\n[\s\S]*?^```ts\n([\s\S]*?)^```$/m.exec(readme);
  if (!match) throw new Error('README.md has no ```ts block under "## Login recipe"');
  return match[1] as string;
}

/** A template file from its first import statement on (its header comment is not part of the README). */
function fromFirstImport(source: string): string {
  const start = source.search(/^import /m);
  return start < 0 ? source : source.slice(start);
}

function templateFiles(variant: Variant, dir = ''): string[] {
  return readdirSync(path.join(TEMPLATES, variant, dir), { withFileTypes: true }).flatMap((entry) => {
    const relative = path.posix.join(dir, entry.name);
    return entry.isDirectory() ? templateFiles(variant, relative) : [relative];
  });
}

describe('consumer templates', () => {
  it("README's Quick start is the ESM template's app module, verbatim", () => {
    const appModule = readFileSync(path.join(TEMPLATES, 'esm/src/app.module.ts'), 'utf8');
    expect(readmeQuickStart()).toBe(fromFirstImport(appModule));
  });

  it("README's login recipe is the ESM template's auth controller, verbatim", () => {
    const controller = readFileSync(path.join(TEMPLATES, 'esm/src/auth/auth.controller.ts'), 'utf8');
    expect(readmeLoginRecipe()).toBe(fromFirstImport(controller));
  });

  it('the CommonJS template is the ESM one with extensionless relative imports, bar its entry points', () => {
    // Top-level await (ESM only) is the one difference in code; package.json differs in "type".
    const ownEntryPoints = new Set(['package.json', 'src/main.ts', 'test/forged-tokens.ts']);
    expect(templateFiles('cjs').sort()).toEqual(templateFiles('esm').sort());
    for (const file of templateFiles('esm').filter((name) => !ownEntryPoints.has(name))) {
      const esm = readFileSync(path.join(TEMPLATES, 'esm', file), 'utf8');
      const cjs = readFileSync(path.join(TEMPLATES, 'cjs', file), 'utf8');
      expect([file, cjs]).toEqual([file, esm.replace(/(from '\.{1,2}\/[^']*)\.js'/g, "$1'")]);
    }
  });
});

describe('the packed package in fresh apps', () => {
  const prepared = new Map<Variant, Promise<PreparedApp>>();
  let routerApp: Promise<PreparedApp> | undefined;

  beforeAll(async () => {
    const tarball = await pack();
    // Both apps install and compile at once; each variant's tests wait for their own.
    for (const variant of VARIANTS) {
      const preparation = prepare(variant, tarball);
      preparation.catch(() => undefined); // reported by the variant's beforeAll, which awaits it
      prepared.set(variant, preparation);
    }
    routerApp = prepare('esm-router', tarball, ROUTER_APP_DEPENDENCIES);
    routerApp.catch(() => undefined); // reported by the router app's beforeAll
  }, PACK_TIMEOUT);

  describe.each(VARIANTS)('%s app', (variant) => {
    let appDir: string | undefined;
    let typeCheckResult: Finished;
    let app: RunningApp | undefined;
    let url: string;

    beforeAll(async () => {
      const preparation = prepared.get(variant);
      if (!preparation) throw new Error('the package was not packed');
      const ready = await preparation;
      appDir = ready.dir;
      typeCheckResult = ready.typeCheck;
      app = await boot(ready.dir);
      url = app.url;
    }, PREPARE_TIMEOUT + BOOT_TIMEOUT);

    afterAll(async () => {
      await stop(app);
      if (appDir) rmSync(appDir, { recursive: true, force: true });
    }, BOOT_TIMEOUT);

    const dir = (): string => appDir as string;

    it('lives outside the repository and has no optional peer installed', async () => {
      expect(path.relative(ROOT, dir()).startsWith('..')).toBe(true);
      expect(OPTIONAL_PEERS.filter((name) => existsSync(path.join(dir(), 'node_modules', name)))).toEqual([]);
      // Nor can node find one anywhere above the app.
      const resolvable = await runOrThrow(
        process.execPath,
        [
          '-e',
          `for (const name of ${JSON.stringify(OPTIONAL_PEERS)}) { try { require.resolve(name); console.log(name); } catch {} }`,
        ],
        dir(),
      );
      expect(resolvable.stdout.trim()).toBe('');
    });

    it('ships the common-password list and the identity validators in the installed package', async () => {
      const script = `
        const { validateSync } = require('class-validator');
        const { IsPassword, normalizeIdentityEmail } = require('@api-security/nestjs');
        class Dto {}
        IsPassword()(Dto.prototype, 'password');
        const messages = (password) =>
          validateSync(Object.assign(new Dto(), { password })).flatMap((e) => Object.values(e.constraints));
        console.log(JSON.stringify({
          common: messages('password1234'),
          good: messages('correct horse battery staple'),
          email: normalizeIdentityEmail(' ＡＤＭＩＮ＠Example.com '),
        }));`;
      const { stdout } = await runOrThrow(process.execPath, ['-e', script], dir());
      expect(JSON.parse(stdout)).toEqual({
        common: ['password is too common: choose one that is not on lists of common or breached passwords'],
        good: [],
        email: 'admin@example.com',
      });
    });

    it("type-checks against the package's declarations (strict, skipLibCheck false)", () => {
      expect(typeCheckResult.stdout + typeCheckResult.stderr).toBe('');
      expect(typeCheckResult.code).toBe(0);
    });

    it('boots and answers the Quick start routes: public 200, protected 401 problem details', async () => {
      await expect(call(`${url}/things/status`)).resolves.toMatchObject({ status: 200, body: { ok: true } });
      const anonymous = await call(`${url}/things/mine`);
      expect(anonymous).toMatchObject({ status: 401, body: { status: 401, code: 'ERR_UNAUTHENTICATED' } });
      expect(anonymous.contentType).toMatch(/^application\/problem\+json/);
      expect(anonymous.wwwAuthenticate).toMatch(/^Bearer/);
    });

    async function login(user: { email: string; password: string }): Promise<Answer> {
      return call(`${url}/auth/login`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ email: user.email, password: user.password }),
      });
    }

    async function tokenOf(user: { email: string; password: string }): Promise<string> {
      const answer = await login(user);
      expect(answer.status).toBe(200);
      return (answer.body as { accessToken: string }).accessToken;
    }

    it('logs in through the recipe (argon2 verify, then an access token the app accepts)', async () => {
      const answer = await login(USER_A);
      expect(answer).toMatchObject({ status: 200, body: { tokenType: 'Bearer', expiresIn: 900 } });
      const { accessToken } = answer.body as { accessToken: string };
      expect(accessToken.split('.')).toHaveLength(3);
      await expect(call(`${url}/things/mine`, { headers: bearer(accessToken) })).resolves.toMatchObject({
        status: 200,
        body: { owner: USER_A.id },
      });
      const wrong = await login({ ...USER_A, password: 'not-the-password' });
      expect(wrong).toMatchObject({ status: 401, body: { code: 'ERR_UNAUTHENTICATED' } });
      expect(wrong.contentType).toMatch(/^application\/problem\+json/);
    });

    it("keeps A's note from B (404) and projects it for A: owner-only field sent, hidden field not", async () => {
      const [a, b] = await Promise.all([tokenOf(USER_A), tokenOf(USER_B)]);
      const asB = await call(`${url}/notes/note-a`, { headers: bearer(b) });
      expect(asB).toMatchObject({ status: 404, body: { code: 'ERR_NOT_FOUND' } });
      expect(asB.contentType).toMatch(/^application\/problem\+json/);
      const asA = await call(`${url}/notes/note-a`, { headers: bearer(a) });
      expect(asA).toEqual(
        expect.objectContaining({
          status: 200,
          body: { id: 'note-a', title: "A's note", body: 'only A may read this', ownerId: USER_A.id },
        }),
      );
      // In a list, B sees the title of A's note but neither its owner-only fields nor the hidden one.
      const listedForB = await call(`${url}/notes`, { headers: bearer(b) });
      expect(listedForB).toMatchObject({ status: 200 });
      expect(listedForB.body).toEqual([
        { id: 'note-a', title: "A's note" },
        { id: 'note-b', title: "B's note", body: 'only B may read this', ownerId: USER_B.id },
      ]);
    });

    it("refuses a user on the @Roles('admin') route with 403", async () => {
      const answer = await call(`${url}/admin/stats`, { headers: bearer(await tokenOf(USER_A)) });
      expect(answer).toMatchObject({ status: 403, body: { code: 'ERR_FORBIDDEN' } });
    });

    it("refuses every token forged with the kit (from '@api-security/nestjs/testing') with 401", async () => {
      // The kit runs in the app's own module system, without supertest installed.
      const printed = await runOrThrow(
        process.execPath,
        ['dist/test/forged-tokens.js', USER_A.id],
        dir(),
        shellEnv({ JWT_SECRET }),
      );
      const { valid, forged } = JSON.parse(printed.stdout) as {
        valid: Record<string, string>;
        forged: { name: string; headers: Record<string, string>; query: string; expect: number }[];
      };
      // The forge mirrors the app: its untampered token is accepted, so each 401 below is the attack's.
      await expect(call(`${url}/things/mine`, { headers: valid })).resolves.toMatchObject({
        status: 200,
        body: { owner: USER_A.id },
      });
      expect(forged.map((token) => token.name)).toEqual(expect.arrayContaining(['alg none, empty signature']));
      // About 60 requests, all failures from one address: below the default limit of 100 a minute.
      const statuses = await Promise.all(
        forged.map(async (token) => {
          const answer = await call(`${url}/things/mine${token.query}`, { headers: token.headers });
          return `${token.name}: ${answer.status}`;
        }),
      );
      expect(statuses).toEqual(forged.map((token) => `${token.name}: ${token.expect}`));
    });

    it('fails the same checks when the installed package is broken (no index.d.ts, no exports)', async () => {
      // The app is already compiled and running; from here on only the installed copy is damaged.
      const installed = path.join(dir(), 'node_modules/@api-security/nestjs');
      const manifestPath = path.join(installed, 'package.json');
      const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Record<string, unknown>;
      delete manifest.exports;
      delete manifest.types;
      writeFileSync(manifestPath, JSON.stringify(manifest));
      rmSync(path.join(installed, 'dist/index.d.ts'));

      const broken = await typeCheck(dir(), '--noEmit', '--skipLibCheck');
      expect(broken.code).not.toBe(0);
      expect(broken.stdout).toMatch(/TS7016: Could not find a declaration file for module '@api-security\/nestjs'/);
      expect(broken.stdout).toMatch(/TS2307: Cannot find module '@api-security\/nestjs\/testing'/);
      const kit = await run(process.execPath, ['dist/test/forged-tokens.js'], dir(), shellEnv({ JWT_SECRET }));
      expect(kit.code).not.toBe(0);
      expect(kit.stderr).toMatch(/Cannot find module .*@api-security[/\\]nestjs[/\\]testing/);
    });
  });

  describe('esm app with RouterModule and Swagger UI', () => {
    let appDir: string | undefined;
    let typeCheckResult: Finished;
    let app: RunningApp | undefined;
    let url: string;

    beforeAll(async () => {
      if (!routerApp) throw new Error('the package was not packed');
      const ready = await routerApp;
      appDir = ready.dir;
      typeCheckResult = ready.typeCheck;
      // Strict audit: two @Controller('things') under different module paths must not stop the boot.
      app = await boot(ready.dir);
      url = app.url;
    }, PREPARE_TIMEOUT + BOOT_TIMEOUT);

    afterAll(async () => {
      await stop(app);
      if (appDir) rmSync(appDir, { recursive: true, force: true });
    }, BOOT_TIMEOUT);

    const dir = (): string => appDir as string;

    it("type-checks against the package's declarations (strict, skipLibCheck false)", () => {
      expect(typeCheckResult.stdout + typeCheckResult.stderr).toBe('');
      expect(typeCheckResult.code).toBe(0);
    });

    it('serves both modules under their RouterModule paths, with the security of each route', async () => {
      await expect(call(`${url}/admin/things`)).resolves.toMatchObject({ status: 200, body: { module: 'admin' } });
      await expect(call(`${url}/shop/things`)).resolves.toMatchObject({ status: 200, body: { module: 'shop' } });
      for (const path of ['/admin/things/mine', '/shop/things/mine']) {
        const anonymous = await call(`${url}${path}`);
        expect(anonymous).toMatchObject({ status: 401, body: { code: 'ERR_UNAUTHENTICATED' } });
        expect(anonymous.wwwAuthenticate).toMatch(/^Bearer/);
      }
      await expect(call(`${url}/things`)).resolves.toMatchObject({ status: 404, body: { code: 'ERR_NOT_FOUND' } });
    });

    it('lists the served paths in the inventory, and the OpenAPI document matches it', async () => {
      const printed = await runOrThrow(process.execPath, ['dist/test/inventory.js'], dir(), shellEnv({ JWT_SECRET }));
      expect(JSON.parse(printed.stdout)).toEqual({
        inventory: [
          'GET /admin/things AdminThingsController.list',
          'GET /admin/things/mine AdminThingsController.mine',
          'GET /shop/things ShopThingsController.list',
          'GET /shop/things/mine ShopThingsController.mine',
        ],
        coverage: { undocumented: [], unserved: [] },
      });
    });

    it('serves the enriched OpenAPI document with the module paths and every security header', async () => {
      const answer = await call(`${url}/api/docs-json`);
      expect(answer.status).toBe(200);
      const document = answer.body as { paths: Record<string, Record<string, { responses: object }>> };
      expect(Object.keys(document.paths).sort()).toEqual([
        '/admin/things',
        '/admin/things/mine',
        '/shop/things',
        '/shop/things/mine',
      ]);
      // Enriched after init: the protected operations document their 401.
      expect(Object.keys(document.paths['/shop/things/mine']?.get?.responses ?? {})).toContain('401');
      expectHardenedHeaders(answer);
      expect(answer.headers.get('content-security-policy')).toContain("default-src 'none'");
    });

    it('hardens Swagger UI mounted the documented way: every header, the documentation CSP', async () => {
      for (const path of ['/api/docs', '/api/docs/swagger-ui.css', '/api/docs/swagger-ui-init.js']) {
        const answer = await call(`${url}${path}`);
        expect([path, answer.status]).toEqual([path, 200]);
        expectHardenedHeaders(answer);
        const directives = Object.fromEntries(
          (answer.headers.get('content-security-policy') ?? '').split(';').map((directive) => {
            const [name, ...values] = directive.trim().split(/\s+/);
            return [name, values.join(' ')];
          }),
        );
        expect([path, directives]).toEqual([
          path,
          expect.objectContaining({
            'default-src': "'self'",
            'script-src': "'self'",
            'object-src': "'none'",
            'frame-ancestors': "'none'",
          }),
        ]);
      }
      const page = await call(`${url}/api/docs`);
      expect(page.contentType).toMatch(/^text\/html/);
      expect(String(page.body)).toContain('swagger-ui');
      // Only the documentation prefix gets the relaxed policy.
      const sibling = await call(`${url}/api/docsx`);
      expect(sibling.status).toBe(404);
      expect(sibling.headers.get('content-security-policy')).toContain("default-src 'none'");
    });
  });
});
