import type { INestApplication, Provider } from '@nestjs/common';
import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import {
  Args,
  ArgsType,
  Field,
  GraphQLModule,
  ID,
  InputType,
  InterfaceType,
  Mutation,
  ObjectType,
  Parent,
  PickType,
  Query,
  ResolveField,
  Resolver,
} from '@nestjs/graphql';
import { MercuriusDriver, type MercuriusDriverConfig } from '@nestjs/mercurius';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { Type } from 'class-transformer';
import type { GraphQLSchema } from 'graphql';
import { IsArray, IsBoolean, IsIn, IsOptional, IsString, ValidateNested } from 'class-validator';
import {
  ApiSecurityModule,
  CurrentPrincipal,
  Hidden,
  OwnedBy,
  Owns,
  Public,
  ResponseModel,
  VisibleTo,
  WritableBy,
  type SecurityPrincipal,
} from '@api-security/nestjs';
import { formatGraphqlError, GraphqlSecurityModule } from '@api-security/nestjs/graphql';
import { StaticAuthenticator, type Driver } from './graphql.fixture';

/**
 * How many times each protected value was produced: a field the caller may not read must leave
 * its counter untouched (its resolver never ran, its property was never read).
 */
export const COUNTS = { secretNote: 0, email: 0, notes: 0, passwordHash: 0, secret: 0, mutations: 0 };

export function resetCounts(): void {
  for (const key of Object.keys(COUNTS) as (keyof typeof COUNTS)[]) COUNTS[key] = 0;
}

/** A user's profile: anyone reaching it sees the name, the owner and admins the email. */
@ObjectType()
@OwnedBy('id')
export class Profile {
  @VisibleTo('public') @Field(() => ID) id!: string;
  @VisibleTo('public') @Field() name!: string;
  @VisibleTo('owner', 'admin') @Field(() => String, { nullable: true }) email?: string;
  /** Role only, through the hierarchy (admin includes manager). */
  @VisibleTo('manager') @Field(() => String, { nullable: true }) notes?: string;
  @Hidden() @Field(() => String, { nullable: true }) passwordHash?: string;
  /** Resolved by a field resolver that counts its calls. */
  @VisibleTo('owner') @Field(() => String, { nullable: true }) secretNote?: string;
  @VisibleTo('public') @Field(() => Profile, { nullable: true }) friend?: Profile;
  /** Renamed in the schema: the rule follows the property. */
  @VisibleTo('owner') @Field(() => String, { name: 'phoneNumber', nullable: true }) phone?: string;
}

/** A profile whose email, notes and password hash are getters counting every read. */
function profile(id: string, friend?: Profile): Profile {
  const value = { id, name: `name-of-${id}`, phone: `phone-of-${id}`, friend } as Profile;
  Object.defineProperty(value, 'email', {
    enumerable: true,
    get: () => (COUNTS.email++, `${id}@example.com`),
  });
  Object.defineProperty(value, 'notes', {
    enumerable: true,
    get: () => (COUNTS.notes++, `notes-of-${id}`),
  });
  Object.defineProperty(value, 'passwordHash', {
    enumerable: true,
    get: () => (COUNTS.passwordHash++, `hash-of-${id}`),
  });
  return value;
}

const USERS = ['user-a', 'user-b', 'admin'];

/** Anything owned, looked up by id: the interface declares the rules, the implementations none. */
@InterfaceType({
  resolveType: (value: { kind?: string }) => (value.kind === 'doc' ? 'Doc' : 'Photo'),
})
@OwnedBy('ownerId')
export abstract class Owned {
  @VisibleTo('public') @Field(() => ID) id!: string;
  @VisibleTo('owner', 'admin') @Field(() => String, { nullable: true }) secret?: string;
}

@ObjectType({ implements: () => [Owned] })
export class Doc implements Owned {
  id!: string;
  secret?: string;
  ownerId!: string;
  @Field() title!: string;
}

@ObjectType({ implements: () => [Owned] })
export class Photo implements Owned {
  id!: string;
  secret?: string;
  ownerId!: string;
  @Field() url!: string;
}

function owned(kind: 'doc' | 'photo', ownerId: string): Doc | Photo {
  const id = `${kind}-${ownerId}`;
  const value: Record<string, unknown> = { kind, id, ownerId, title: `title-${id}`, url: `https://x/${id}` };
  Object.defineProperty(value, 'secret', { enumerable: true, get: () => (COUNTS.secret++, `secret-of-${id}`) });
  return value as unknown as Doc;
}

@InputType()
export class AddressInput {
  @IsOptional() @IsString() @Field(() => String, { nullable: true }) city?: string;
  /** Renamed in the schema: clients send `isVerified`. */
  @IsOptional()
  @IsBoolean()
  @WritableBy('admin')
  @Field(() => Boolean, { name: 'isVerified', nullable: true })
  verified?: boolean;
}

@InputType()
export class UpdateProfileInput {
  @IsOptional() @IsString() @Field(() => String, { nullable: true }) name?: string;
  @IsOptional() @IsIn(['user', 'admin']) @WritableBy('admin') @Field(() => String, { nullable: true }) role?: string;
  @IsOptional()
  @ValidateNested()
  @Type(() => AddressInput)
  @Field(() => AddressInput, { nullable: true })
  address?: AddressInput;
  /** Nested through the GraphQL declaration only: no class-transformer `@Type`, no `@ValidateNested`. */
  @IsOptional() @IsArray() @Field(() => [AddressInput], { nullable: true }) previous?: AddressInput[];
}

@ArgsType()
export class RenameArgs {
  @IsString() @Field() name!: string;
  @IsOptional() @IsBoolean() @WritableBy('admin') @Field(() => Boolean, { nullable: true }) featured?: boolean;
}

@Resolver(() => Profile)
export class ProfileResolver {
  @Query(() => Profile, { nullable: true })
  @Owns(false, { reason: 'profiles are readable by any user; private fields are owner-only (field visibility)' })
  profile(@Args('id', { type: () => ID }) id: string): Profile | undefined {
    if (!USERS.includes(id)) return undefined;
    // Everyone's friend is user-a.
    return profile(id, profile('user-a'));
  }

  @Query(() => [Profile])
  profiles(): Profile[] {
    return USERS.map((id) => profile(id));
  }

  @Query(() => Profile, { nullable: true })
  @Public()
  publicProfile(): Profile {
    return profile('user-a');
  }

  @ResolveField(() => String, { nullable: true })
  secretNote(@Parent() parent: Profile): string {
    COUNTS.secretNote++;
    return `note-of-${parent.id}`;
  }

  @Query(() => Owned, { nullable: true })
  @Owns(false, { reason: 'anything owned is listed; its secret is owner-only (field visibility)' })
  owned(@Args('id', { type: () => ID }) id: string): Doc | Photo | undefined {
    const [kind, ...owner] = id.split('-');
    if ((kind !== 'doc' && kind !== 'photo') || !USERS.includes(owner.join('-'))) return undefined;
    return owned(kind, owner.join('-'));
  }

  @Mutation(() => String, { nullable: true })
  updateMe(
    @Args('input') input: UpdateProfileInput,
    @CurrentPrincipal() principal: SecurityPrincipal | undefined,
  ): string {
    COUNTS.mutations++;
    return `${principal?.id ?? '?'}:${JSON.stringify(input)}`;
  }

  @Mutation(() => String)
  updateMany(@Args('inputs', { type: () => [UpdateProfileInput] }) inputs: UpdateProfileInput[]): string {
    COUNTS.mutations++;
    return `${inputs.length}`;
  }

  @Mutation(() => String)
  rename(@Args() args: RenameArgs): string {
    COUNTS.mutations++;
    return JSON.stringify(args);
  }
}

// Misdeclarations, each behind a resolver of its own so that only the one under test is in the schema.

/** A restricted non-null field: refusing it would null the whole object. */
@ObjectType()
export class NonNullSecret {
  @VisibleTo('public') @Field(() => ID) id!: string;
  @VisibleTo('admin') @Field() secret!: string;
}

/** A field with no rule on a type that has rules and no default: nobody could read it. */
@ObjectType()
@OwnedBy('id')
export class ForgottenField {
  @VisibleTo('public') @Field(() => ID) id!: string;
  @Field(() => String, { nullable: true }) forgotten?: string;
}

/** A default that refuses anonymous callers, on a non-null field. */
@ObjectType()
@ResponseModel({ defaultVisibility: 'authenticated' })
export class AuthenticatedDefault {
  @Field(() => ID) id!: string;
}

/** Copies a restricted field from a class with rules onto one without: the rule would be lost. */
@ObjectType()
export class PickedProfile extends PickType(Profile, ['email'] as const) {}

@InputType()
export class VisibleInput {
  @IsOptional() @IsString() @VisibleTo('admin') @Field(() => String, { nullable: true }) role?: string;
}

@InputType()
export class DefaultedInput {
  @IsOptional()
  @IsString()
  @WritableBy('admin')
  @Field(() => String, { nullable: true, defaultValue: 'user' })
  role?: string;
}

@Resolver()
export class NonNullSecretResolver {
  @Query(() => NonNullSecret, { nullable: true })
  nonNullSecret(): NonNullSecret {
    return { id: '1', secret: 's' };
  }
}

@Resolver()
export class ForgottenFieldResolver {
  @Query(() => ForgottenField, { nullable: true })
  forgottenField(): ForgottenField {
    return { id: '1', forgotten: 'f' };
  }
}

@Resolver()
export class AuthenticatedDefaultResolver {
  @Query(() => AuthenticatedDefault, { nullable: true })
  authenticatedDefault(): AuthenticatedDefault {
    return { id: '1' };
  }
}

@Resolver()
export class PickedProfileResolver {
  @Query(() => PickedProfile, { nullable: true })
  pickedProfile(): PickedProfile {
    return { email: 'a@example.com' };
  }
}

@Resolver()
export class VisibleInputResolver {
  @Query(() => String)
  visibleInputRoot(): string {
    return 'ok';
  }

  @Mutation(() => Boolean)
  visibleInput(@Args('input') _input: VisibleInput): boolean {
    return true;
  }
}

@Resolver()
export class DefaultedInputResolver {
  @Query(() => String)
  defaultedInputRoot(): string {
    return 'ok';
  }

  @Mutation(() => Boolean)
  defaultedInput(@Args('input') _input: DefaultedInput): boolean {
    return true;
  }
}

/** A type without rules, for a field resolver that takes input. */
@ObjectType()
export class Plain {
  @Field(() => ID) id!: string;
}

/** A field resolver taking restricted input: needs the interceptors enhancer for field resolvers. */
@Resolver(() => Plain)
export class FieldInputResolver {
  @Query(() => Plain)
  plain(): Plain {
    return { id: 'p' };
  }

  @ResolveField(() => String, { nullable: true })
  withInput(@Args('input') input: UpdateProfileInput): string {
    COUNTS.mutations++;
    return JSON.stringify(input);
  }
}

/** What a test changes about the app. */
export interface FieldAppOptions {
  /** Resolvers; the profile resolver by default. */
  readonly resolvers?: readonly Provider[];
  /** Leave GraphqlSecurityModule out (the core must refuse to boot). */
  readonly withoutGraphqlSecurity?: boolean;
  /** `fieldResolverEnhancers` of GraphQLModule. @default ['guards', 'filters'] */
  readonly fieldResolverEnhancers?: ('guards' | 'interceptors' | 'filters')[];
  /** Mercurius only: schema transforms, which give Mercurius a schema of its own. */
  readonly schemaTransforms?: ((schema: GraphQLSchema) => GraphQLSchema)[];
}

/** A real app on the driver's platform: Apollo on Express, Mercurius on Fastify. */
export async function createFieldApp(driver: Driver, options: FieldAppOptions = {}): Promise<INestApplication> {
  const fieldResolverEnhancers = options.fieldResolverEnhancers ?? ['guards', 'filters'];
  const graphql =
    driver === 'apollo'
      ? GraphQLModule.forRoot<ApolloDriverConfig>({
          driver: ApolloDriver,
          autoSchemaFile: true,
          allowBatchedHttpRequests: true,
          fieldResolverEnhancers,
          formatError: formatGraphqlError,
          context: ({ req, res }: { req: unknown; res: unknown }) => ({ req, res }),
        })
      : GraphQLModule.forRoot<MercuriusDriverConfig>({
          driver: MercuriusDriver,
          autoSchemaFile: true,
          allowBatchedQueries: true,
          fieldResolverEnhancers,
          ...(options.schemaTransforms ? { schemaTransforms: options.schemaTransforms } : {}),
          // Mercurius's default query cache loads quick-lru through a dynamic import Jest's CommonJS runtime refuses.
          cache: false,
        });
  const ref = await Test.createTestingModule({
    imports: [
      ApiSecurityModule.forRoot({ authenticators: [StaticAuthenticator] }),
      ...(options.withoutGraphqlSecurity ? [] : [GraphqlSecurityModule.forRoot()]),
      graphql,
    ],
    providers: [...(options.resolvers ?? [ProfileResolver])],
  }).compile();
  const app =
    driver === 'mercurius'
      ? ref.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), { logger: false })
      : ref.createNestApplication({ logger: false });
  try {
    await app.init();
    if (driver === 'mercurius') await (app as NestFastifyApplication).getHttpAdapter().getInstance().ready();
  } catch (error) {
    await app.close().catch(() => undefined);
    throw error;
  }
  return app;
}
