import { Logger } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { performance } from 'node:perf_hooks';
import {
  API_SECURITY_OPTIONS,
  resolveApiSecurityOptions,
  type ApiSecurityModuleOptions,
} from '../api-security.options';
import { ValidationProblemException } from '../errors/security.exception';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH, PasswordService } from './password.service';

const PASSWORD = 'correct horse battery staple';
const service = (sessions: ApiSecurityModuleOptions['sessions'] = {}) =>
  new PasswordService(resolveApiSecurityOptions({ sessions }));

/** The PHC parameters of an argon2 hash, whatever order the library writes them in. */
function parameters(hash: string): Record<string, number> {
  const [, , , params] = hash.split('$');
  return Object.fromEntries(
    params!
      .split(',')
      .map((pair) => pair.split('='))
      .map(([k, v]) => [k, Number(v)]),
  );
}

/**
 * The fastest of several interleaved runs of each job, in ms. Load on the machine only ever adds
 * time, so the minimum is the steadiest estimate of the work itself, and interleaving spreads any
 * slow period over both jobs alike.
 */
async function fastestMs(rounds: number, jobs: readonly (() => Promise<unknown>)[]): Promise<number[]> {
  const fastest = jobs.map(() => Number.POSITIVE_INFINITY);
  for (let round = 0; round < rounds; round++) {
    for (const [index, job] of jobs.entries()) {
      const started = performance.now();
      await job();
      fastest[index] = Math.min(fastest[index]!, performance.now() - started);
    }
  }
  return fastest;
}

describe('PasswordService', () => {
  const passwords = service();
  let stored: string;

  beforeAll(async () => {
    stored = await passwords.hash(PASSWORD);
  });

  describe('hash', () => {
    it('makes an argon2id PHC string with the OWASP parameters by default', () => {
      expect(stored).toMatch(/^\$argon2id\$v=19\$[^$]+\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/);
      expect(parameters(stored)).toEqual({ m: 19456, t: 2, p: 1 });
      expect(stored).not.toContain(PASSWORD);
    });

    it('salts every hash', async () => {
      expect(await passwords.hash(PASSWORD)).not.toBe(stored);
    });

    it('honours sessions.argon2', async () => {
      const custom = service({ argon2: { memoryCost: 7168, timeCost: 5, parallelism: 2 } });
      const hash = await custom.hash(PASSWORD);
      expect(parameters(hash)).toEqual({ m: 7168, t: 5, p: 2 });
      await expect(custom.verify(hash, PASSWORD)).resolves.toBe(true);
    });
  });

  describe('verify', () => {
    it('accepts the right password and refuses others', async () => {
      await expect(passwords.verify(stored, PASSWORD)).resolves.toBe(true);
      await expect(passwords.verify(stored, `${PASSWORD} `)).resolves.toBe(false);
      await expect(passwords.verify(stored, '')).resolves.toBe(false);
    });

    it.each<[string, string | null | undefined]>([
      ['null', null],
      ['undefined', undefined],
      ['empty', ''],
    ])('refuses a missing hash (%s)', async (_name, hash) => {
      await expect(passwords.verify(hash, PASSWORD)).resolves.toBe(false);
    });

    it('refuses a corrupt or foreign hash, warning without the hash or the password', async () => {
      const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
      try {
        const bcrypt = '$2b$10$abcdefghijklmnopqrstuuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ012';
        const corrupt = stored.slice(0, -10);
        await expect(passwords.verify(bcrypt, PASSWORD)).resolves.toBe(false);
        await expect(passwords.verify(corrupt, PASSWORD)).resolves.toBe(false);
        await expect(passwords.verify('$argon2id$garbage', PASSWORD)).resolves.toBe(false);
        const logged = JSON.stringify(warn.mock.calls);
        expect(logged).not.toContain(PASSWORD);
        expect(logged).not.toContain(corrupt.slice(-20));
        expect(logged).not.toContain('abcdefghijklmnop');
      } finally {
        warn.mockRestore();
      }
    });

    it('refuses a password that is not a string', async () => {
      await expect(passwords.verify(stored, 42 as unknown as string)).resolves.toBe(false);
    });

    it('spends a real argon2 verification when the hash is missing (unknown accounts are not faster)', async () => {
      const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
      try {
        await passwords.onModuleInit();
        // Warm up both paths first: the first argon2 call of a process pays for loading the addon.
        await passwords.verify(stored, 'warm-up');
        await passwords.verify(null, 'warm-up');
        const [real, missing, corrupt] = await fastestMs(5, [
          () => passwords.verify(stored, 'wrong password'),
          () => passwords.verify(null, 'wrong password'),
          () => passwords.verify('$argon2id$garbage', 'wrong password'),
        ]);
        expect(missing).toBeGreaterThan(real * 0.5);
        expect(corrupt).toBeGreaterThan(real * 0.5);
      } finally {
        warn.mockRestore();
      }
    });
  });

  describe('needsRehash', () => {
    it('is false for a hash with the configured parameters and true otherwise', async () => {
      expect(passwords.needsRehash(stored)).toBe(false);
      expect(service({ argon2: { memoryCost: 47104, timeCost: 1 } }).needsRehash(stored)).toBe(true);
      expect(passwords.needsRehash('$2b$10$abcdefghijklmnopqrstuu')).toBe(true);
    });
  });

  describe('assertPolicy', () => {
    const refusedWith = (password: string): string => {
      try {
        passwords.assertPolicy(password);
      } catch (error) {
        expect(error).toBeInstanceOf(ValidationProblemException);
        const problem = error as ValidationProblemException;
        expect(problem.getStatus()).toBe(400);
        expect(problem.errors).toHaveLength(1);
        expect(problem.errors![0]!.field).toBe('password');
        expect(problem.errors![0]!.message).not.toContain(password);
        expect(problem.reason).not.toContain(password);
        return problem.errors![0]!.message;
      }
      throw new Error('the password was accepted');
    };

    /** `length` letters that are neither one repeated character nor a listed password. */
    const varied = (length: number): string =>
      Array.from({ length }, (_, i) => String.fromCharCode(97 + ((i * 7) % 26))).join('');

    it('accepts 12 to 128 characters', () => {
      expect(PASSWORD_MIN_LENGTH).toBe(12);
      expect(PASSWORD_MAX_LENGTH).toBe(128);
      expect(() => passwords.assertPolicy(varied(12))).not.toThrow();
      expect(() => passwords.assertPolicy(varied(128))).not.toThrow();
    });

    it('refuses 11 and 129 characters, saying which bound', () => {
      expect(refusedWith(varied(11))).toMatch(/at least 12/);
      expect(refusedWith(varied(129))).toMatch(/at most 128/);
    });

    it('counts Unicode code points, so an emoji is one character', () => {
      const emoji = '😀🔑';
      expect(emoji).toHaveLength(4);
      expect(() => passwords.assertPolicy(`${varied(11)}😀`)).not.toThrow();
      // 11 emoji are 22 UTF-16 units but only 11 characters.
      expect(refusedWith(`${emoji.repeat(5)}😀`)).toMatch(/at least 12/);
      // 128 emoji are 256 UTF-16 units but 128 characters.
      expect(() => passwords.assertPolicy(emoji.repeat(64))).not.toThrow();
      expect(refusedWith(`${emoji.repeat(64)}😀`)).toMatch(/at most 128/);
    });

    it('refuses common passwords, one repeated character and white space alone', () => {
      expect(refusedWith('password1234')).toMatch(/too common/);
      expect(refusedWith('aaaaaaaaaaaa')).toMatch(/repeated/);
      expect(refusedWith(' '.repeat(12))).toMatch(/spaces/);
    });

    it('refuses something that is not a string', () => {
      expect(() => passwords.assertPolicy(undefined as unknown as string)).toThrow(ValidationProblemException);
    });
  });

  it('is built by Nest with the resolved options and computes its dummy hash at init', async () => {
    const moduleRef = await Test.createTestingModule({
      providers: [PasswordService, { provide: API_SECURITY_OPTIONS, useValue: resolveApiSecurityOptions() }],
    }).compile();
    await moduleRef.init();
    const fromNest = moduleRef.get(PasswordService);
    const hash = await fromNest.hash(PASSWORD);
    await expect(fromNest.verify(hash, PASSWORD)).resolves.toBe(true);
    await moduleRef.close();
  });
});
