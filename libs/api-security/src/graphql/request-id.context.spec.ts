import { Logger } from '@nestjs/common';
import { formatGraphqlError } from './format-error';
import { graphqlRequestIds } from './request-id.context';

describe('graphqlRequestIds', () => {
  it('gives formatGraphqlError the request id to log what it masked with', async () => {
    const spy = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    try {
      await graphqlRequestIds.run('rid-1', async () => {
        await Promise.resolve();
        formatGraphqlError({ message: 'db password=x', path: ['a'] }, new Error('db password=x'));
      });
      formatGraphqlError({ message: 'outside', path: ['a'] }, new Error('outside'));
      const lines = spy.mock.calls.map((args) => String(args[0]));
      expect(lines).toEqual(['GraphQL error masked (request rid-1): db password=x', 'GraphQL error masked: outside']);
    } finally {
      spy.mockRestore();
    }
  });
});
