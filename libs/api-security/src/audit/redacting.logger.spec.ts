import { REDACTED, RedactingLogger } from './redacting.logger';

function capture(): { logger: RedactingLogger; lines: string[] } {
  const lines: string[] = [];
  return { logger: new RedactingLogger({ write: (line) => lines.push(line), now: () => 0 }), lines };
}

describe('RedactingLogger', () => {
  it('writes one JSON line with time, level, context and message', () => {
    const { logger, lines } = capture();
    logger.log('started', 'App');
    expect(lines).toEqual([
      JSON.stringify({ time: '1970-01-01T00:00:00.000Z', level: 'log', context: 'App', msg: 'started' }),
    ]);
  });

  it('redacts every sensitive key at any depth, case-insensitively', () => {
    const { logger, lines } = capture();
    logger.warn(
      {
        headers: {
          Authorization: 'Bearer abc.def.ghi',
          'X-API-Key': 'sk_live_abc',
          Cookie: 'sid=1',
          'set-cookie': ['a'],
        },
        body: {
          email: 'a@example.com',
          password: 'hunter2hunter2',
          nested: [{ refreshToken: 'r1', accessToken: 'a1' }],
        },
        token: 't',
        secret: 's',
      },
      'Http',
    );
    const entry = JSON.parse(lines[0]) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(entry.headers).toEqual({
      Authorization: REDACTED,
      'X-API-Key': REDACTED,
      Cookie: REDACTED,
      'set-cookie': REDACTED,
    });
    expect(entry.body).toEqual({
      email: 'a@example.com',
      password: REDACTED,
      nested: [{ refreshToken: REDACTED, accessToken: REDACTED }],
    });
    expect(entry.token).toBe(REDACTED);
    expect(entry.secret).toBe(REDACTED);
    for (const secret of ['abc.def.ghi', 'sk_live_abc', 'sid=1', 'hunter2hunter2', 'r1', 'a1']) {
      expect(lines[0]).not.toContain(secret);
    }
  });

  it('masks bearer tokens and API keys inside free text', () => {
    const { logger, lines } = capture();
    logger.error('refused Bearer eyJhbGciOi.eyJzdWIi.c2ln and key sk_live_0123456789abcdef', undefined, 'Auth');
    expect(lines[0]).not.toContain('eyJhbGciOi');
    expect(lines[0]).not.toContain('0123456789abcdef');
    expect(lines[0]).toContain(`Bearer ${REDACTED}`);
    expect(lines[0]).toContain(`sk_live_${REDACTED}`);
  });

  it('neutralises CR, LF and other control characters, so a value cannot forge a line', () => {
    const { logger, lines } = capture();
    const forged = '{"level":"log","msg":"admin logged in"}';
    logger.log({ email: `x@example.com\r\n${forged}`, [`k\ney`]: 'v\u2028w' }, 'Auth');
    logger.log(`plain\n${forged}`, 'Auth');
    expect(lines).toHaveLength(2);
    for (const line of lines) expect(line).not.toMatch(/[\r\n\u2028]/);
    expect(JSON.parse(lines[0])).toMatchObject({
      email: `x@example.com\\u000d\\u000a${forged}`,
      'k\\u000aey': 'v\\u2028w',
    });
  });

  it('parses a JSON-object message (as the event bus logs) into fields, redacting them', () => {
    const { logger, lines } = capture();
    logger.log(JSON.stringify({ type: 'authentication.failure', details: { token: 'x' } }), 'SecurityEvent');
    expect(JSON.parse(lines[0])).toMatchObject({ type: 'authentication.failure', details: { token: REDACTED } });
  });

  it('drops levels that are not enabled', () => {
    const { logger, lines } = capture();
    logger.debug('noise');
    logger.verbose('noise');
    logger.setLogLevels(['debug']);
    logger.log('dropped');
    logger.debug('kept');
    expect(lines.map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual(['kept']);
  });
});
