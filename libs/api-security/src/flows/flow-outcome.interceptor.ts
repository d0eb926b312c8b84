import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { catchError, concatMap, from, type Observable, throwError } from 'rxjs';
import { takeFlowTicket } from './flow-ticket';
import { graphqlRequestOf, isGraphqlContext } from '../common/graphql-context';

/**
 * Part of `@SensitiveFlow`: tells the flow's counters how the handler ended, before the response
 * is written, so the next request already sees the result. A success keeps a `successes` slot and
 * restarts the cooldown; a failure (the handler or a pipe threw) gives a `successes` slot back and
 * keeps a `failures` one. Applied innermost, it sees the handler's own outcome.
 */
@Injectable()
export class FlowOutcomeInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    // Taking the ticket makes this interceptor its one owner: the close fallback finds nothing.
    // Under GraphQL the ticket is on the HTTP request in the context, not in the first argument.
    const request: unknown = isGraphqlContext(context) ? graphqlRequestOf(context) : context.getArgByIndex(0);
    const ticket = takeFlowTicket(request);
    if (!ticket) return next.handle();
    return next.handle().pipe(
      concatMap(async (value: unknown) => {
        await ticket.settle('success');
        return value;
      }),
      catchError((error: unknown) => from(ticket.settle('failure')).pipe(concatMap(() => throwError(() => error)))),
    );
  }
}
