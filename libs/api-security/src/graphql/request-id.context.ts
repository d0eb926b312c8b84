import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * The request id of the GraphQL HTTP request being executed, for the error formatters: Apollo calls
 * `formatError` without the request, yet what it masks must be logged with the id the client sees.
 * Set by the module's Express middleware around the driver; undefined elsewhere.
 */
export const graphqlRequestIds = new AsyncLocalStorage<string>();
