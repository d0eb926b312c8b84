import { Controller, Get, Query, type INestApplication } from '@nestjs/common';
import request from 'supertest';
import { ApiSecurityModule, ErrorCode, PaginationQuery, Public } from '@api-security/nestjs';
import { ADAPTERS, createApp } from './utils/create-app';

class ThingsPage extends PaginationQuery({ max: 25, defaultLimit: 5 }) {}

@Controller('things')
class PagedController {
  @Public()
  @Get()
  list(@Query() page: ThingsPage): { limit: number; offset: number; dto: boolean } {
    return { limit: page.limit, offset: page.offset, dto: page instanceof ThingsPage };
  }
}

describe.each(ADAPTERS)('PaginationQuery over HTTP (%s)', (kind) => {
  let app: INestApplication;
  const http = () => request(app.getHttpServer());

  beforeAll(async () => {
    app = await createApp(kind, { imports: [ApiSecurityModule.forRoot({})], controllers: [PagedController] });
  });
  afterAll(async () => {
    await app.close();
  });

  /** The problem-details body of a refused page, checked for status, media type and code. */
  async function refused(query: string): Promise<unknown> {
    const res = await http().get(`/api/things${query}`);
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    const body = JSON.parse(res.text) as { code: string; errors: unknown };
    expect(body.code).toBe(ErrorCode.VALIDATION);
    return body.errors;
  }

  it('hands the handler a typed page with defaults filled in', async () => {
    expect((await http().get('/api/things')).body).toEqual({ limit: 5, offset: 0, dto: true });
    expect((await http().get('/api/things?limit=25&offset=100')).body).toEqual({ limit: 25, offset: 100, dto: true });
  });

  it('refuses a page over the cap instead of clamping it', async () => {
    expect(await refused('?limit=26')).toEqual([{ field: 'limit', message: 'limit must be at most 25.' }]);
  });

  it('refuses malformed, repeated and negative values, naming each field', async () => {
    expect(await refused('?limit=1&limit=2')).toEqual([
      { field: 'limit', message: 'limit must be a whole number from 1 to 25.' },
    ]);
    expect(await refused('?limit=1e3&offset=-1')).toEqual([
      { field: 'limit', message: 'limit must be a whole number from 1 to 25.' },
      { field: 'offset', message: 'offset must be a whole number of 0 or more.' },
    ]);
  });

  it('refuses query parameters the page does not declare', async () => {
    expect(await refused('?limit=5&take=100000')).toEqual([expect.objectContaining({ field: 'take' })]);
  });
});
