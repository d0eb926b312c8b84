import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsInt, IsString, Max, MaxLength, Min, ValidateNested } from 'class-validator';
import type { SecurityEvent } from '../audit/security-event';
import type { SecurityEventBus } from '../audit/security-event.bus';
import { ErrorCode } from '../errors/codes';
import { OutboundRefusedError, ThirdPartyInvalidError } from './outbound.errors';
import { SafeHttpClient } from './safe-http.client';
import { startLocalServer, type LocalServer } from '../../../../test/support/local-server';
import { fetchValidated } from './validated-fetch';

class TagDto {
  @IsString()
  @MaxLength(20)
  name!: string;
}

class ProductDto {
  @IsString()
  @MaxLength(40)
  id!: string;

  @IsInt()
  @Min(0)
  @Max(1_000_000)
  priceCents!: number;

  @IsArray()
  @ArrayMaxSize(5)
  @ValidateNested({ each: true })
  @Type(() => TagDto)
  tags!: TagDto[];
}

/** The third party is a loopback server on 127.0.0.2, allowed only through the explicit test CIDR. */
describe('fetchValidated', () => {
  let api: LocalServer;
  let reply: { status: number; type: string; body: string };
  let events: SecurityEvent[];
  let client: SafeHttpClient;

  beforeAll(async () => {
    api = await startLocalServer((_req, res) => {
      res.writeHead(reply.status, { 'content-type': reply.type });
      res.end(reply.body);
    }, '127.0.0.2');
  });
  afterAll(() => api.close());

  beforeEach(() => {
    events = [];
    const bus = { emit: (event: SecurityEvent) => events.push(event) } as unknown as SecurityEventBus;
    client = new SafeHttpClient(
      { allowedHosts: ['127.0.0.2'], allowedPorts: [api.port], allowCidrs: ['127.0.0.2/32'] },
      bus,
    );
  });

  const valid = { id: 'p-1', priceCents: 1299, tags: [{ name: 'red' }] };
  const answer = (body: unknown, status = 200, type = 'application/json'): void => {
    reply = { status, type, body: typeof body === 'string' ? body : JSON.stringify(body) };
  };

  async function invalid(): Promise<ThirdPartyInvalidError> {
    const error = await fetchValidated(client, `${api.origin}/product`, ProductDto, {
      context: { requestId: 'r-9' },
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ThirdPartyInvalidError);
    const typed = error as ThirdPartyInvalidError;
    expect(typed.code).toBe(ErrorCode.THIRD_PARTY_INVALID);
    expect(typed.getStatus()).toBe(502);
    expect(events).toEqual([
      expect.objectContaining({
        type: 'third_party.invalid',
        requestId: 'r-9',
        details: expect.objectContaining({ host: '127.0.0.2', dto: 'ProductDto' }),
      }),
    ]);
    return typed;
  }

  it('returns a validated DTO instance', async () => {
    answer(valid);
    const product = await fetchValidated(client, `${api.origin}/product`, ProductDto);
    expect(product).toBeInstanceOf(ProductDto);
    expect(product.tags[0]).toBeInstanceOf(TagDto);
    expect(product).toEqual(valid);
    expect(events).toEqual([]);
  });

  it('refuses a missing field', async () => {
    answer({ id: 'p-1', tags: [] });
    expect((await invalid()).problems).toEqual([
      expect.stringMatching(/^priceCents: /),
      expect.stringMatching(/^priceCents: /),
      expect.stringMatching(/^priceCents: /),
    ]);
  });

  it('refuses an extra field, at the top and nested', async () => {
    answer({ ...valid, isAdmin: true });
    expect((await invalid()).problems).toEqual(['isAdmin: property isAdmin should not exist']);
    events = [];
    answer({ ...valid, tags: [{ name: 'red', script: '<x>' }] });
    expect((await invalid()).problems).toEqual(['tags[0].script: property script should not exist']);
  });

  it('refuses wrong types', async () => {
    answer({ ...valid, priceCents: '1299' });
    expect((await invalid()).problems.some((p) => p.startsWith('priceCents: '))).toBe(true);
    events = [];
    answer({ ...valid, tags: 'red' });
    expect((await invalid()).problems.some((p) => p.startsWith('tags: '))).toBe(true);
  });

  it('refuses oversized strings, numbers and arrays', async () => {
    answer({ ...valid, id: 'x'.repeat(41) });
    expect((await invalid()).problems).toEqual(['id: id must be shorter than or equal to 40 characters']);
    events = [];
    answer({ ...valid, priceCents: 1_000_001 });
    expect((await invalid()).problems).toEqual(['priceCents: priceCents must not be greater than 1000000']);
    events = [];
    answer({ ...valid, tags: Array.from({ length: 6 }, () => ({ name: 'a' })) });
    expect((await invalid()).problems).toEqual(['tags: tags must contain no more than 5 elements']);
  });

  it('refuses arrays and primitives where a nested DTO is declared, which validation alone lets through', async () => {
    answer({ ...valid, tags: [[]] });
    expect((await invalid()).problems).toEqual(['tags[0]: tags[0] must be an object']);
    events = [];
    answer({ ...valid, tags: [[{ name: 'red' }]] });
    expect((await invalid()).problems).toEqual(['tags[0]: tags[0] must be an object']);
    events = [];
    answer({ ...valid, tags: [{ name: 'red' }, 7] });
    expect((await invalid()).problems).toEqual(['tags[1]: tags[1] must be an object']);
  });

  it('refuses a body that is not a JSON object', async () => {
    answer('{"id": "p-1",');
    expect((await invalid()).problems).toEqual(['body is not JSON']);
    events = [];
    answer([valid]);
    expect((await invalid()).problems).toEqual(['body is not a JSON object']);
    events = [];
    answer('null');
    await invalid();
  });

  it('refuses prototype keys, deep nesting and large bodies', async () => {
    answer('{"id":"p-1","priceCents":1,"tags":[],"__proto__":{"isAdmin":true}}');
    expect((await invalid()).problems).toEqual(['__proto__: not an accepted property name']);
    events = [];
    answer({ ...valid, deep: JSON.parse('['.repeat(40) + ']'.repeat(40)) as unknown });
    expect((await invalid()).problems).toEqual(['nesting deeper than 32']);
    events = [];
    answer({ ...valid, id: 'x'.repeat(300_000) });
    expect((await invalid()).problems).toEqual(['body over 262144 bytes']);
  });

  it('refuses a non-2xx status and a non-JSON content type', async () => {
    answer(valid, 500);
    expect((await invalid()).problems).toEqual(['status 500']);
    events = [];
    answer(JSON.stringify(valid), 200, 'text/plain');
    expect((await invalid()).problems).toEqual(['content type text/plain']);
  });

  it('lets the client refuse first: the SSRF rules still apply', async () => {
    const error = await fetchValidated(client, 'http://169.254.169.254/latest/meta-data/', ProductDto).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(OutboundRefusedError);
    expect(events.map((e) => e.type)).toEqual(['outbound.refused']);
  });
});
