import { Module } from '@nestjs/common';
import { provideOwnershipResolver } from '@api-security/nestjs';
import { NoteOwnershipResolver } from './note-ownership.resolver';
import { NotesController } from './notes.controller';
import { NotesService } from './notes.service';

@Module({
  controllers: [NotesController],
  providers: [NotesService, provideOwnershipResolver('note', NoteOwnershipResolver)],
})
export class NotesModule {}
