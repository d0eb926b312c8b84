import type { Provider } from '@nestjs/common';
import { API_SECURITY_OPTIONS, type ResolvedApiSecurityOptions } from '../api-security.options';
import { SecurityEventBus } from '../audit/security-event.bus';
import { SafeHttpClient } from './safe-http.client';

/** `SafeHttpClient` built from the module's `outbound` options, registered and exported by ApiSecurityModule. */
export const OUTBOUND_PROVIDERS: Provider[] = [
  {
    provide: SafeHttpClient,
    useFactory: (options: ResolvedApiSecurityOptions, events: SecurityEventBus) =>
      new SafeHttpClient(options.outbound, events),
    inject: [API_SECURITY_OPTIONS, SecurityEventBus],
  },
];
