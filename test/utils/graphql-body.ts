/** One error of a GraphQL response, as clients read it. */
export interface GraphqlError {
  message: string;
  path?: (string | number)[];
  extensions?: Record<string, unknown>;
}

/** A GraphQL response body, as clients read it. */
export interface GraphqlBody {
  data?: Record<string, unknown> | null;
  errors?: GraphqlError[];
}
