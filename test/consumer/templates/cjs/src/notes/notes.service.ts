import { Injectable } from '@nestjs/common';

/** A stored note. `moderationScore` is internal and must never be sent. */
export interface Note {
  id: string;
  ownerId: string;
  title: string;
  body: string;
  moderationScore: number;
}

/** Notes in memory: one for user A, one for user B. */
@Injectable()
export class NotesService {
  private readonly notes = new Map<string, Note>(
    [
      { id: 'note-a', ownerId: 'user-a', title: "A's note", body: 'only A may read this', moderationScore: 7 },
      { id: 'note-b', ownerId: 'user-b', title: "B's note", body: 'only B may read this', moderationScore: 3 },
    ].map((note) => [note.id, note]),
  );

  all(): Note[] {
    return [...this.notes.values()];
  }

  find(id: string): Note | undefined {
    return this.notes.get(id);
  }
}
