// `ws` is installed (graphql-ws and Mercurius use it) without its types; what the tests use of it.
declare module 'ws' {
  export default class WebSocket {
    constructor(address: string, protocols?: string | string[], options?: { headers?: Record<string, string> });
  }
}
