/** One thing wrong with the environment: which variable, and a message that says how to fix it. */
export interface ConfigProblem {
  readonly variable: string;
  /** Starts with the variable name and ends with the fix. Never contains a secret's value. */
  readonly message: string;
}

/**
 * Thrown once by `loadConfig` with every problem found, so an operator fixes the whole environment in one
 * round instead of discovering problems one restart at a time.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly problems: readonly ConfigProblem[];

  constructor(problems: readonly ConfigProblem[]) {
    const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
    super(`Invalid configuration (${count}):\n${problems.map((p) => `  - ${p.message}`).join('\n')}`);
    this.problems = Object.freeze([...problems]);
  }
}
