export { ErrorCode } from './codes';
export { ErrorMessages, codeForStatus } from './messages';
export { SecurityException, UnauthenticatedException, ValidationProblemException } from './security.exception';
export type { FieldError, SecurityExceptionOptions } from './security.exception';
export { PROBLEM_CONTENT_TYPE } from './problem-details';
export type { ProblemDetails } from './problem-details';
