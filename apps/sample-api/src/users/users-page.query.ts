import { PaginationQuery } from '@api-security/nestjs';

/** `?limit=&offset=` of the user list: at most 100 a page, checked by the library's pipe before the handler. */
export class UsersPage extends PaginationQuery({ max: 100 }) {}
