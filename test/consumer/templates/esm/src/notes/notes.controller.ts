import { Controller, Get, NotFoundException, Param } from '@nestjs/common';
import { Owns } from '@api-security/nestjs';
import { NoteView } from './note.view.js';
import { NotesService } from './notes.service.js';

@Controller('notes')
export class NotesController {
  constructor(private readonly notes: NotesService) {}

  /** Every note, each projected for the caller: the body of someone else's note is not sent. */
  @Get()
  list(): NoteView[] {
    return this.notes.all().map((note) => NoteView.from(note));
  }

  /** Someone else's note answers 404, exactly like a note that does not exist. */
  @Get(':id')
  @Owns('note')
  get(@Param('id') id: string): NoteView {
    const note = this.notes.find(id);
    if (!note) throw new NotFoundException();
    return NoteView.from(note);
  }
}
