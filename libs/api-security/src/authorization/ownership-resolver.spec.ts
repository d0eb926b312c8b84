import { Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { SecurityPrincipal } from '../common/security-principal';
import { ownershipResolverToken, provideOwnershipResolver, type OwnershipResolver } from './ownership-resolver';

@Injectable()
class Directory {
  readonly owners = new Map([['n-1', 'alice']]);
}

@Injectable()
class NoteResolver implements OwnershipResolver {
  constructor(private readonly directory: Directory) {}
  async owns(principal: SecurityPrincipal, id: string): Promise<boolean> {
    return this.directory.owners.get(id) === principal.id;
  }
}

const alice: SecurityPrincipal = { id: 'alice', roles: [], authMethod: 'jwt', scopes: [] };

describe('provideOwnershipResolver', () => {
  it('derives one token per resource', () => {
    expect(ownershipResolverToken('order')).toBe('api-security:ownership-resolver:order');
    expect(ownershipResolverToken('order')).not.toBe(ownershipResolverToken('Order'));
  });

  it('refuses a resource name that is not one', () => {
    expect(() => ownershipResolverToken('')).toThrow(TypeError);
    expect(() => provideOwnershipResolver('two words', NoteResolver)).toThrow(TypeError);
  });

  it('registers a class, a factory or a value, each found from another module', async () => {
    const fixed: OwnershipResolver = { owns: async () => true };
    @Module({
      providers: [
        Directory,
        provideOwnershipResolver('note', NoteResolver),
        provideOwnershipResolver('memo', {
          useFactory: (directory: Directory) => new NoteResolver(directory),
          inject: [Directory],
        }),
        provideOwnershipResolver('public-thing', { useValue: fixed }),
      ],
    })
    class FeatureModule {}
    const ref = await Test.createTestingModule({ imports: [FeatureModule] }).compile();
    const get = (resource: string) => ref.get<OwnershipResolver>(ownershipResolverToken(resource), { strict: false });
    await expect(get('note').owns(alice, 'n-1')).resolves.toBe(true);
    await expect(get('note').owns(alice, 'n-2')).resolves.toBe(false);
    await expect(get('memo').owns(alice, 'n-1')).resolves.toBe(true);
    expect(get('public-thing')).toBe(fixed);
    await ref.close();
  });
});
