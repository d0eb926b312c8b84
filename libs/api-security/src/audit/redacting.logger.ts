import type { LoggerService, LogLevel } from '@nestjs/common';
import { sanitizeForLog } from './security-event.bus';

/** Keys whose values never reach a log line, compared case-insensitively at any depth. */
export const REDACTED_KEYS: readonly string[] = [
  'authorization',
  'x-api-key',
  'password',
  'token',
  'accessToken',
  'refreshToken',
  'cookie',
  'set-cookie',
  'secret',
];

/** What replaces a redacted value. */
export const REDACTED = '[REDACTED]';

/** Options of {@link RedactingLogger}. */
export interface RedactingLoggerOptions {
  /**
   * Levels written; others are dropped.
   * @default ['log', 'warn', 'error', 'fatal']
   */
  levels?: readonly LogLevel[];
  /**
   * Extra keys to redact, on top of {@link REDACTED_KEYS}.
   * @default []
   */
  redactKeys?: readonly string[];
  /**
   * Where each JSON line goes (without the trailing newline).
   * @default a write to stdout (log, debug, verbose) or stderr (warn, error, fatal)
   */
  write?: (line: string, level: LogLevel) => void;
  /** Clock for the `time` field. @default Date.now */
  now?: () => number;
}

const MAX_DEPTH = 8;
/** Bearer credentials and `sk_…` API keys inside free text. */
const SECRET_IN_TEXT = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+|\bsk_(live|test)_[A-Za-z0-9_-]+/g;

/**
 * A Nest `LoggerService` that writes one JSON object per line (`time`, `level`, `context`, `msg`,
 * plus the fields of an object message) and never lets a secret or a forged line through: values
 * under {@link REDACTED_KEYS} are replaced at any depth, bearer tokens and API keys in free text are
 * masked, and control characters (CR, LF, …) in every string are escaped, so a user-supplied value
 * can never start a new log line.
 *
 * @example
 * ```ts
 * const app = await NestFactory.create(AppModule, { logger: new RedactingLogger() });
 * ```
 */
export class RedactingLogger implements LoggerService {
  private levels: ReadonlySet<LogLevel>;
  private readonly keys: ReadonlySet<string>;
  private readonly write: (line: string, level: LogLevel) => void;
  private readonly now: () => number;

  constructor(options: RedactingLoggerOptions = {}) {
    this.levels = new Set(options.levels ?? ['log', 'warn', 'error', 'fatal']);
    this.keys = new Set([...REDACTED_KEYS, ...(options.redactKeys ?? [])].map((k) => k.toLowerCase()));
    this.write =
      options.write ??
      ((line, level) =>
        (level === 'warn' || level === 'error' || level === 'fatal' ? process.stderr : process.stdout).write(
          `${line}\n`,
        ));
    this.now = options.now ?? Date.now;
  }

  log(message: unknown, ...rest: unknown[]): void {
    this.emit('log', message, rest);
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.emit('error', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.emit('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.emit('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.emit('verbose', message, rest);
  }
  fatal(message: unknown, ...rest: unknown[]): void {
    this.emit('fatal', message, rest);
  }

  setLogLevels(levels: LogLevel[]): void {
    this.levels = new Set(levels);
  }

  /** The value with secrets redacted and every string made single-line; safe to serialise. */
  redact(value: unknown, depth = 0): unknown {
    if (typeof value === 'string') return sanitizeForLog(value.replace(SECRET_IN_TEXT, (m) => maskInText(m)));
    if (value === null || typeof value !== 'object') {
      return typeof value === 'bigint' || typeof value === 'symbol' || typeof value === 'function'
        ? String(value)
        : value;
    }
    if (depth >= MAX_DEPTH) return '[…]';
    if (value instanceof Error) return { name: value.name, message: this.redact(value.message, depth + 1) };
    if (value instanceof Date) return value.toISOString();
    if (Array.isArray(value)) return value.map((item) => this.redact(item, depth + 1));
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      out[sanitizeForLog(key)] = this.keys.has(key.toLowerCase()) ? REDACTED : this.redact(item, depth + 1);
    }
    return out;
  }

  private emit(level: LogLevel, message: unknown, rest: unknown[]): void {
    if (!this.levels.has(level)) return;
    // Nest passes the context last (a string), and for errors a stack before it.
    const params = [...rest];
    const context = params.length > 0 && typeof params[params.length - 1] === 'string' ? params.pop() : undefined;
    const entry: Record<string, unknown> = { time: new Date(this.now()).toISOString(), level };
    if (context !== undefined) entry.context = context;
    const parsed = typeof message === 'string' ? parseJsonObject(message) : undefined;
    const body = parsed ?? message;
    if (body !== null && typeof body === 'object' && !Array.isArray(body) && !(body instanceof Error)) {
      Object.assign(entry, this.redact(body));
    } else {
      entry.msg = this.redact(body);
    }
    if (params.length > 0) entry.extra = this.redact(params);
    this.write(JSON.stringify(entry), level);
  }
}

function maskInText(match: string): string {
  const space = match.search(/\s/);
  if (space > 0) return `${match.slice(0, space)} ${REDACTED}`;
  return `${match.slice(0, match.indexOf('_', 3) + 1)}${REDACTED}`;
}

/** A message that is a serialised JSON object (as the security event bus logs) is logged as fields. */
function parseJsonObject(message: string): Record<string, unknown> | undefined {
  if (!message.startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(message);
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
