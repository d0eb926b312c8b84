const UNITS: Readonly<Record<string, number>> = { b: 1, kb: 1024, mb: 1024 * 1024 };

/**
 * Parses `100kb`, `1mb`, `512b` or a plain byte count. Returns undefined for anything else so the
 * caller can report which option is wrong.
 */
export function parseByteSize(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value > 0 ? value : undefined;
  const match = /^\s*(\d+)\s*(b|kb|mb)?\s*$/i.exec(value);
  if (!match) return undefined;
  const bytes = Number(match[1]) * (UNITS[(match[2] ?? 'b').toLowerCase()] ?? 1);
  return Number.isSafeInteger(bytes) && bytes > 0 ? bytes : undefined;
}
