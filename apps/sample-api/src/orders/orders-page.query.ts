import { PaginationQuery } from '@api-security/nestjs';

/** `?limit=&offset=` of the caller's orders: at most 100 a page, checked by the library's pipe before the handler. */
export class OrdersPage extends PaginationQuery({ max: 100 }) {}
