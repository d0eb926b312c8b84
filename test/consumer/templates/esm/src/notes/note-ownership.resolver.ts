import { Injectable } from '@nestjs/common';
import type { OwnershipResolver, SecurityPrincipal } from '@api-security/nestjs';
import { NotesService } from './notes.service.js';

/** `@Owns('note')`: a principal owns the notes it wrote; an unknown id is owned by no one. */
@Injectable()
export class NoteOwnershipResolver implements OwnershipResolver {
  constructor(private readonly notes: NotesService) {}

  async owns(principal: SecurityPrincipal, id: string): Promise<boolean> {
    return this.notes.find(id)?.ownerId === principal.id;
  }
}
