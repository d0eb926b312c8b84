import type { INestApplication, Provider } from '@nestjs/common';
import { lexicographicSortSchema } from 'graphql';
import request from 'supertest';
import { ConfigErrorCode, ErrorCode } from '@api-security/nestjs';
import { GraphqlFieldCode } from '@api-security/nestjs/graphql';
import { DRIVERS, type Driver } from './graphql.fixture';
import {
  AuthenticatedDefaultResolver,
  COUNTS,
  createFieldApp,
  DefaultedInputResolver,
  FieldInputResolver,
  ForgottenFieldResolver,
  NonNullSecretResolver,
  PickedProfileResolver,
  ProfileResolver,
  resetCounts,
  VisibleInputResolver,
} from './field-visibility.fixture';
import type { GraphqlBody } from '../utils/graphql-body';

const A = 'Bearer user-a';
const B = 'Bearer user-b';
const ADMIN = 'Bearer admin';
const FORBIDDEN_FIELD = GraphqlFieldCode.FORBIDDEN;

/** What B must never see of A: values of A's owner-only fields. */
const A_PRIVATE = /user-a@example\.com|note-of-user-a|phone-of-user-a|secret-of-(doc|photo)-user-a|hash-of/;

function codes(body: GraphqlBody): unknown[] {
  return (body.errors ?? []).map((e) => e.extensions?.code);
}

function paths(body: GraphqlBody): string[] {
  return (body.errors ?? []).map((e) => (e.path ?? []).join('.')).sort();
}

function expectNoInternals(body: unknown): void {
  expect(JSON.stringify(body)).not.toMatch(/stack|\.ts:|\.js:|node_modules/i);
}

describe.each(DRIVERS)('GraphQL field visibility (%s)', (driver) => {
  let app: INestApplication;

  async function gql(
    query: string | object[],
    auth?: string,
    variables?: Record<string, unknown>,
  ): Promise<GraphqlBody> {
    const req = request(app.getHttpServer()).post('/graphql').set('Content-Type', 'application/json');
    if (auth) req.set('Authorization', auth);
    const res = await req.send(typeof query === 'string' ? { query, variables } : query);
    if (process.env.GQL_DEBUG) console.log(res.status, res.text);
    expectNoInternals(res.body);
    return res.body as GraphqlBody;
  }

  beforeAll(async () => {
    app = await createFieldApp(driver);
  });
  afterAll(() => app.close());
  beforeEach(() => resetCounts());

  describe('reading (@VisibleTo, @Hidden, @OwnedBy on object types)', () => {
    it('gives the owner every owner field', async () => {
      const body = await gql('{ profile(id: "user-a") { id name email secretNote phoneNumber } }', A);
      expect(body).toEqual({
        data: {
          profile: {
            id: 'user-a',
            name: 'name-of-user-a',
            email: 'user-a@example.com',
            secretNote: 'note-of-user-a',
            phoneNumber: 'phone-of-user-a',
          },
        },
      });
      expect(COUNTS).toMatchObject({ email: 1, secretNote: 1 });
    });

    it('gives B null and ERR_FIELD_FORBIDDEN for A’s owner fields, never reading or resolving them', async () => {
      const body = await gql('{ profile(id: "user-a") { id name email secretNote phoneNumber } }', B);
      expect(body.data).toEqual({
        profile: { id: 'user-a', name: 'name-of-user-a', email: null, secretNote: null, phoneNumber: null },
      });
      expect(codes(body)).toEqual([FORBIDDEN_FIELD, FORBIDDEN_FIELD, FORBIDDEN_FIELD]);
      expect(paths(body)).toEqual(['profile.email', 'profile.phoneNumber', 'profile.secretNote']);
      expect(body.errors?.[0].extensions?.status).toBe(403);
      expect(JSON.stringify(body)).not.toMatch(A_PRIVATE);
      // The property getter never ran, nor did the field resolver.
      expect(COUNTS).toMatchObject({ email: 0, secretNote: 0 });
    });

    it('never reveals a field through aliases', async () => {
      const body = await gql(
        '{ profile(id: "user-a") { a: email b: email c: secretNote d: phoneNumber e: passwordHash } }',
        B,
      );
      expect(body.data).toEqual({ profile: { a: null, b: null, c: null, d: null, e: null } });
      expect(codes(body)).toEqual(Array(5).fill(FORBIDDEN_FIELD));
      expect(JSON.stringify(body)).not.toMatch(A_PRIVATE);
      expect(COUNTS).toMatchObject({ email: 0, secretNote: 0, passwordHash: 0 });
    });

    it('never reveals a field through named or inline fragments', async () => {
      const body = await gql(
        `{ profile(id: "user-a") { ...Private ... on Profile { e2: email } ... { e3: email } } }
         fragment Private on Profile { email secretNote }`,
        B,
      );
      expect(body.data).toEqual({ profile: { email: null, secretNote: null, e2: null, e3: null } });
      expect(JSON.stringify(body)).not.toMatch(A_PRIVATE);
      expect(COUNTS).toMatchObject({ email: 0, secretNote: 0 });
    });

    it('applies an interface’s rules to every implementation, however the field is selected', async () => {
      const query = `{
        d: owned(id: "doc-user-a") { id secret ... on Doc { title s2: secret } ... on Owned { s3: secret } }
        p: owned(id: "photo-user-a") { ...O ... on Photo { url } }
      } fragment O on Owned { id secret }`;
      const theirs = await gql(query, B);
      expect(theirs.data).toEqual({
        d: { id: 'doc-user-a', secret: null, title: 'title-doc-user-a', s2: null, s3: null },
        p: { id: 'photo-user-a', secret: null, url: 'https://x/photo-user-a' },
      });
      expect(codes(theirs)).toEqual(Array(4).fill(FORBIDDEN_FIELD));
      expect(JSON.stringify(theirs)).not.toMatch(A_PRIVATE);
      expect(COUNTS.secret).toBe(0);
      const mine = await gql(query, A);
      expect(mine.errors).toBeUndefined();
      expect(mine.data?.d).toMatchObject({ secret: 'secret-of-doc-user-a', s2: 'secret-of-doc-user-a' });
      expect(mine.data?.p).toMatchObject({ secret: 'secret-of-photo-user-a' });
    });

    it('decides ownership per object: in a list and in a nested object', async () => {
      const list = await gql('{ profiles { id email } }', B);
      expect(list.data).toEqual({
        profiles: [
          { id: 'user-a', email: null },
          { id: 'user-b', email: 'user-b@example.com' },
          { id: 'admin', email: null },
        ],
      });
      expect(paths(list)).toEqual(['profiles.0.email', 'profiles.2.email']);
      expect(COUNTS.email).toBe(1);
      const nested = await gql('{ profile(id: "user-b") { email friend { id email } } }', B);
      expect(nested.data).toEqual({
        profile: { email: 'user-b@example.com', friend: { id: 'user-a', email: null } },
      });
      expect(JSON.stringify(nested)).not.toMatch(A_PRIVATE);
    });

    it('grants role fields through the role hierarchy, owner fields to the owner only, @Hidden to nobody', async () => {
      const query = '{ profile(id: "user-a") { email notes secretNote passwordHash } }';
      const admin = await gql(query, ADMIN);
      expect(admin.data).toEqual({
        profile: { email: 'user-a@example.com', notes: 'notes-of-user-a', secretNote: null, passwordHash: null },
      });
      expect(paths(admin)).toEqual(['profile.passwordHash', 'profile.secretNote']);
      const owner = await gql(query, A);
      expect(owner.data).toEqual({
        profile: { email: 'user-a@example.com', notes: null, secretNote: 'note-of-user-a', passwordHash: null },
      });
      expect(COUNTS.passwordHash).toBe(0);
    });

    it('treats an anonymous caller of a public query as nobody’s owner', async () => {
      const body = await gql('{ publicProfile { id name email notes } }');
      expect(body.data).toEqual({ publicProfile: { id: 'user-a', name: 'name-of-user-a', email: null, notes: null } });
      expect(codes(body)).toEqual([FORBIDDEN_FIELD, FORBIDDEN_FIELD]);
      expect(COUNTS).toMatchObject({ email: 0, notes: 0 });
    });

    it('decides every operation of a batch on its own', async () => {
      const answers = (await gql(
        [{ query: '{ profile(id: "user-a") { email } }' }, { query: '{ profile(id: "user-b") { email } }' }],
        B,
      )) as unknown as GraphqlBody[];
      expect(answers).toHaveLength(2);
      expect(answers[0].data).toEqual({ profile: { email: null } });
      expect(codes(answers[0])).toEqual([FORBIDDEN_FIELD]);
      expect(answers[1]).toEqual({ data: { profile: { email: 'user-b@example.com' } } });
    });

    it('keeps principals apart under 30 parallel requests of A and B', async () => {
      const answers = await Promise.all(
        Array.from({ length: 30 }, (_, i) => gql('{ profile(id: "user-a") { email secretNote } }', i % 2 ? B : A)),
      );
      answers.forEach((body, i) => {
        if (i % 2) {
          expect(body.data).toEqual({ profile: { email: null, secretNote: null } });
        } else {
          expect(body).toEqual({ data: { profile: { email: 'user-a@example.com', secretNote: 'note-of-user-a' } } });
        }
      });
      expect(COUNTS).toMatchObject({ email: 15, secretNote: 15 });
    });
  });

  describe('writing (@WritableBy on input types)', () => {
    function refused(body: GraphqlBody): void {
      expect(codes(body)).toEqual([ErrorCode.FORBIDDEN]);
      expect(COUNTS.mutations).toBe(0);
    }

    it('refuses B a restricted input field, before the resolver runs, and accepts it from an admin', async () => {
      const mutation = 'mutation { updateMe(input: { name: "x", role: "admin" }) }';
      const theirs = await gql(mutation, B);
      expect(theirs.data?.updateMe ?? null).toBeNull();
      refused(theirs);
      const admin = await gql(mutation, ADMIN);
      expect(admin).toEqual({ data: { updateMe: 'admin:{"name":"x","role":"admin"}' } });
    });

    it('accepts B’s input without restricted fields', async () => {
      const body = await gql('mutation { updateMe(input: { name: "x", address: { city: "Paris" } }) }', B);
      expect(body).toEqual({ data: { updateMe: 'user-b:{"name":"x","address":{"city":"Paris"}}' } });
    });

    it('refuses a restricted field of a nested input, under its schema name, even as null', async () => {
      refused(await gql('mutation { updateMe(input: { address: { city: "x", isVerified: true } }) }', B));
      refused(await gql('mutation { updateMe(input: { address: { isVerified: null } }) }', B));
      const admin = await gql('mutation { updateMe(input: { address: { isVerified: true } }) }', ADMIN);
      expect(admin.errors).toBeUndefined();
    });

    it('refuses a restricted field in a list of inputs nested by the GraphQL type alone', async () => {
      refused(await gql('mutation { updateMe(input: { previous: [{ city: "a" }, { isVerified: false }] }) }', B));
    });

    it('refuses a restricted field in a list argument', async () => {
      refused(await gql('mutation { updateMany(inputs: [{ name: "a" }, { role: "admin" }]) }', B));
      expect((await gql('mutation { updateMany(inputs: [{ name: "a" }]) }', B)).data).toEqual({ updateMany: '1' });
    });

    it('refuses a restricted field of an @ArgsType and accepts it from an admin', async () => {
      refused(await gql('mutation { rename(name: "x", featured: true) }', B));
      expect((await gql('mutation { rename(name: "x", featured: true) }', ADMIN)).errors).toBeUndefined();
    });

    it('refuses a restricted field sent in variables', async () => {
      const mutation = 'mutation ($input: UpdateProfileInput!) { updateMe(input: $input) }';
      refused(await gql(mutation, B, { input: { name: 'x', role: 'admin' } }));
    });

    it('refuses only the aliased mutation that writes a restricted field', async () => {
      const body = await gql('mutation { a: updateMe(input: { name: "x" }) b: updateMe(input: { role: "admin" }) }', B);
      expect(body.data?.a).toBe('user-b:{"name":"x"}');
      expect(codes(body)).toEqual([ErrorCode.FORBIDDEN]);
      expect(COUNTS.mutations).toBe(1);
    });
  });
});

describe.each(DRIVERS)('GraphQL field security at boot (%s)', (driver: Driver) => {
  async function bootError(
    resolvers: Provider[],
    options: { withoutGraphqlSecurity?: boolean } = {},
  ): Promise<{ message: string; code: unknown }> {
    let app: INestApplication | undefined;
    try {
      app = await createFieldApp(driver, { resolvers, ...options });
    } catch (error) {
      return { message: (error as Error).message, code: (error as { code?: unknown }).code };
    }
    await app.close();
    throw new Error('the app booted');
  }

  it('refuses a restricted non-null field (refusing it would null its parent)', async () => {
    const { message, code } = await bootError([NonNullSecretResolver]);
    expect(code).toBe(ConfigErrorCode.FIELD_SECURITY);
    expect(message).toMatch(/NonNullSecret\.secret is non-null but visible to admin/);
  });

  it('refuses a field with no rule on a type whose default is none (nobody could read it)', async () => {
    const { message, code } = await bootError([ForgottenFieldResolver]);
    expect(code).toBe(ConfigErrorCode.FIELD_SECURITY);
    expect(message).toMatch(/ForgottenField\.forgotten has no @VisibleTo or @Hidden/);
  });

  it('refuses a non-null field whose class default refuses anonymous callers', async () => {
    const { message } = await bootError([AuthenticatedDefaultResolver]);
    expect(message).toMatch(/AuthenticatedDefault\.id is non-null but visible to authenticated \(its class default\)/);
  });

  it('refuses a restricted field copied by a mapped type onto a class without rules', async () => {
    const { message, code } = await bootError([PickedProfileResolver]);
    expect(code).toBe(ConfigErrorCode.FIELD_SECURITY);
    expect(message).toMatch(/PickedProfile\.email comes from a mapped type .* Profile restrict\(s\) 'email'/);
  });

  it('refuses @VisibleTo on an input type (it would restrict nothing)', async () => {
    const { message } = await bootError([VisibleInputResolver]);
    expect(message).toMatch(/VisibleInput is a GraphQL input with @VisibleTo\/@Hidden/);
  });

  it('refuses @WritableBy on an input field with a default value (every caller would write it)', async () => {
    const { message } = await bootError([DefaultedInputResolver]);
    expect(message).toMatch(/DefaultedInput\.role is @WritableBy\('admin'\) and has a defaultValue/);
  });

  it('refuses restricted input on a field resolver that Nest runs no interceptor for', async () => {
    const { message } = await bootError([FieldInputResolver]);
    expect(message).toMatch(/FIELD Plain\.withInput takes input with @WritableBy fields/);
  });

  it('enforces restricted input on a field resolver when interceptors are enabled for field resolvers', async () => {
    const app = await createFieldApp(driver, {
      resolvers: [FieldInputResolver],
      fieldResolverEnhancers: ['guards', 'interceptors', 'filters'],
    });
    try {
      resetCounts();
      const res = await request(app.getHttpServer())
        .post('/graphql')
        .set('Authorization', B)
        .send({ query: '{ plain { id withInput(input: { role: "admin" }) } }' });
      const body = res.body as GraphqlBody;
      expect(body.data).toEqual({ plain: { id: 'p', withInput: null } });
      expect(codes(body)).toEqual([ErrorCode.FORBIDDEN]);
      expect(COUNTS.mutations).toBe(0);
    } finally {
      await app.close();
    }
  });

  if (driver === 'mercurius') {
    it('secures the schema Mercurius rebuilds with schemaTransforms, not only the one Nest built', async () => {
      const app = await createFieldApp(driver, { schemaTransforms: [lexicographicSortSchema] });
      try {
        resetCounts();
        const res = await request(app.getHttpServer())
          .post('/graphql')
          .set('Authorization', B)
          .send({ query: '{ profile(id: "user-a") { id email } }' });
        const body = res.body as GraphqlBody;
        expect(body.data).toEqual({ profile: { id: 'user-a', email: null } });
        expect(codes(body)).toEqual([FORBIDDEN_FIELD]);
        expect(COUNTS.email).toBe(0);
      } finally {
        await app.close();
      }
    });
  }

  it('refuses to boot field rules on GraphQL types without GraphqlSecurityModule (they would not be enforced)', async () => {
    const { message, code } = await bootError([ProfileResolver], { withoutGraphqlSecurity: true });
    expect(code).toBe(ConfigErrorCode.FIELD_SECURITY);
    expect(message).toMatch(/nothing enforces them under GraphQL: import GraphqlSecurityModule\.forRoot\(\)/);
    expect(message).toMatch(/Profile/);
  });
});
