import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';

/** What a fake endpoint answers: a status and a JSON body, from the parsed request body and headers. */
export type FakeAnswer = (body: unknown, headers: IncomingMessage['headers']) => { status?: number; body: unknown };

/** A Node request listener answering JSON, for the kit's unit specs (no framework, no GraphQL server). */
export function fakeGraphqlServer(answer: FakeAnswer): RequestListener {
  return (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        parsed = undefined;
      }
      const { status = 200, body } = answer(parsed, req.headers);
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(body));
    });
  };
}
