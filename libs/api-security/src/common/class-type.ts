/** Any class; instances are what gets projected. */
export type ClassType = abstract new (...args: never[]) => unknown;
