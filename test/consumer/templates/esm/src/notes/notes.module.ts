import { Module } from '@nestjs/common';
import { provideOwnershipResolver } from '@api-security/nestjs';
import { NoteOwnershipResolver } from './note-ownership.resolver.js';
import { NotesController } from './notes.controller.js';
import { NotesService } from './notes.service.js';

@Module({
  controllers: [NotesController],
  providers: [NotesService, provideOwnershipResolver('note', NoteOwnershipResolver)],
})
export class NotesModule {}
