import { Hidden, OwnedBy, VisibleTo } from '@api-security/nestjs';
import type { Note } from './notes.service.js';

/** A note as callers see it: everyone signed in sees the title, only its owner the body. */
@OwnedBy('ownerId')
export class NoteView {
  @VisibleTo('authenticated') id!: string;
  @VisibleTo('authenticated') title!: string;
  @VisibleTo('owner') body!: string;
  @VisibleTo('owner', 'admin') ownerId!: string;
  /** Kept off the wire even though the stored note has it. */
  @Hidden() moderationScore!: number;

  static from(note: Note): NoteView {
    return Object.assign(new NoteView(), note);
  }
}
