import { Body, Param } from '@nestjs/common';
import { PartialType, PickType } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsArray, IsBoolean, IsOptional, IsString, ValidateNested } from 'class-validator';
import { expandRoles } from '../authorization/role-expansion';
import { DEFAULT_ROLE_HIERARCHY } from '../authorization/roles.options';
import { WritableBy } from './writable-by.decorator';
import { findForbiddenWrites } from './write-policy';
import { WritePolicyCompiler } from './write-policy.compiler';

class TagDto {
  @IsString() label!: string;
  @IsOptional() @IsBoolean() @WritableBy('manager') pinned?: boolean;
}

class ProfileDto {
  @IsOptional() @IsString() bio?: string;
  @IsOptional() @IsBoolean() @WritableBy('admin') verified?: boolean;
  @IsOptional() @IsArray() @ValidateNested({ each: true }) @Type(() => TagDto) tags?: TagDto[];
}

class PlainDto {
  @IsString() note!: string;
}

class UpdateUserDto {
  @IsOptional() @IsString() name?: string;
  @IsOptional() @IsString() @WritableBy('admin') role?: string;
  @IsOptional() @ValidateNested() @Type(() => ProfileDto) profile?: ProfileDto;
  @IsOptional() @IsArray() @ValidateNested({ each: true }) @Type(() => ProfileDto) profiles?: ProfileDto[];
  @IsOptional() @ValidateNested() @Type(() => PlainDto) plain?: PlainDto;
}

class TreeDto {
  @IsOptional() @IsString() @WritableBy('admin') flag?: string;
  @IsOptional() @IsArray() @ValidateNested({ each: true }) @Type(() => TreeDto) children?: TreeDto[];
}

const USER = expandRoles(['user'], DEFAULT_ROLE_HIERARCHY);
const MANAGER = expandRoles(['manager'], DEFAULT_ROLE_HIERARCHY);
const ADMIN = expandRoles(['admin'], DEFAULT_ROLE_HIERARCHY);

describe('write policy', () => {
  let compiler: WritePolicyCompiler;
  beforeEach(() => {
    compiler = new WritePolicyCompiler();
  });
  const forbidden = (type: new () => unknown, body: unknown, roles: ReadonlySet<string>) =>
    findForbiddenWrites(body, compiler.policyFor(type), roles).sort();

  it('compiles restricted fields and the nested DTOs that restrict something', () => {
    const policy = compiler.policyFor(UpdateUserDto);
    expect([...policy.restricted]).toEqual([['role', ['admin']]]);
    expect([...policy.nested.keys()].sort()).toEqual(['profile', 'profiles']);
    expect(policy.nested.get('profile')?.[0]?.type).toBe(ProfileDto);
  });

  it('finds a restricted top-level field, even null', () => {
    expect(forbidden(UpdateUserDto, { name: 'x', role: 'admin' }, USER)).toEqual(['role']);
    expect(forbidden(UpdateUserDto, { role: null }, USER)).toEqual(['role']);
    expect(forbidden(UpdateUserDto, { name: 'x' }, USER)).toEqual([]);
  });

  it('lets the role, and roles including it through the hierarchy, write', () => {
    expect(forbidden(UpdateUserDto, { role: 'admin', profile: { verified: true } }, ADMIN)).toEqual([]);
    expect(forbidden(ProfileDto, { tags: [{ label: 'a', pinned: true }] }, MANAGER)).toEqual([]);
    expect(forbidden(ProfileDto, { tags: [{ label: 'a', pinned: true }] }, ADMIN)).toEqual([]);
  });

  it('finds restricted fields in nested DTOs and arrays of them, at any depth', () => {
    const body = {
      profile: { bio: 'x', verified: false, tags: [{ label: 'a' }, { label: 'b', pinned: true }] },
      profiles: [{ bio: 'y' }, { verified: true }],
    };
    expect(forbidden(UpdateUserDto, body, USER)).toEqual([
      'profile.tags[1].pinned',
      'profile.verified',
      'profiles[1].verified',
    ]);
    expect(forbidden(UpdateUserDto, body, MANAGER)).toEqual(['profile.verified', 'profiles[1].verified']);
  });

  it('checks every element of an array body', () => {
    expect(forbidden(ProfileDto, [{ bio: 'a' }, { verified: true }], USER)).toEqual(['[1].verified']);
  });

  it('handles recursive DTOs without looping', () => {
    const body = { children: [{ children: [{ children: [{ flag: 'x' }] }] }] };
    expect(forbidden(TreeDto, body, USER)).toEqual(['children[0].children[0].children[0].flag']);
  });

  it('survives a very deep body without overflowing the stack', () => {
    let body: Record<string, unknown> = { flag: 'deep' };
    for (let i = 0; i < 20_000; i++) body = { children: [body] };
    expect(forbidden(TreeDto, body, USER)).toHaveLength(1);
  });

  it('ignores undeclared and inherited-from-Object names (left to whitelist validation)', () => {
    expect(forbidden(UpdateUserDto, JSON.parse('{"unknown": 1, "toString": 2, "plain": {"note": "n"}}'), USER)).toEqual(
      [],
    );
  });

  it('keeps rules through PartialType and PickType, which copy validation metadata', () => {
    class PatchUserDto extends PartialType(UpdateUserDto) {}
    class RoleOnlyDto extends PickType(UpdateUserDto, ['role'] as const) {}
    expect(forbidden(PatchUserDto, { role: 'admin', profile: { verified: true } }, USER)).toEqual([
      'profile.verified',
      'role',
    ]);
    expect(forbidden(RoleOnlyDto, { role: 'admin' }, USER)).toEqual(['role']);
  });

  it('keeps rules through class inheritance', () => {
    class ExtendedDto extends UpdateUserDto {
      @IsOptional() @IsString() @WritableBy('manager') team?: string;
    }
    expect(forbidden(ExtendedDto, { role: 'x', team: 'y' }, USER)).toEqual(['role', 'team']);
    expect(forbidden(ExtendedDto, { role: 'x', team: 'y' }, MANAGER)).toEqual(['role']);
  });

  it('checks every sub-type of a discriminated @Type', () => {
    class CatDto {
      @IsString() kind!: string;
      @IsOptional() @IsBoolean() @WritableBy('admin') vip?: boolean;
    }
    class DogDto {
      @IsString() kind!: string;
    }
    class PetOwnerDto {
      @ValidateNested()
      @Type(() => Object, {
        discriminator: {
          property: 'kind',
          subTypes: [
            { name: 'cat', value: CatDto },
            { name: 'dog', value: DogDto },
          ],
        },
      })
      pet!: CatDto | DogDto;
    }
    expect(forbidden(PetOwnerDto, { pet: { kind: 'cat', vip: true } }, USER)).toEqual(['pet.vip']);
  });

  it('compiles a class once', () => {
    const compile = jest.spyOn(compiler, 'compile');
    compiler.policyFor(UpdateUserDto);
    compiler.policyFor(UpdateUserDto);
    expect(compile).toHaveBeenCalledTimes(1);
  });

  describe('handler bindings', () => {
    class UsersController {
      update(@Param('id') _id: string, @Body() _body: UpdateUserDto): void {}
      profile(@Body('profile') _profile: ProfileDto, @Body('note') _note: string): void {}
      plain(@Body() _body: PlainDto): void {}
      untyped(@Body() _body: Record<string, unknown>): void {}
    }

    it('finds the policed @Body() parameters of a handler, sharing the class policy', () => {
      const bindings = compiler.forHandler(UsersController, UsersController.prototype.update);
      expect(bindings).toHaveLength(1);
      expect(bindings[0]).toMatchObject({ property: undefined, policy: { type: UpdateUserDto } });
      expect(compiler.forHandler(UsersController, UsersController.prototype.update)[0].policy).toBe(bindings[0].policy);
    });

    it('binds @Body(property) to that property', () => {
      const bindings = compiler.forHandler(UsersController, UsersController.prototype.profile);
      expect(bindings.map((b) => [b.property, b.policy.type])).toEqual([['profile', ProfileDto]]);
    });

    it('binds nothing when the DTO restricts nothing or the body is untyped', () => {
      expect(compiler.forHandler(UsersController, UsersController.prototype.plain)).toEqual([]);
      expect(compiler.forHandler(UsersController, UsersController.prototype.untyped)).toEqual([]);
    });
  });
});
