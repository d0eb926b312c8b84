/**
 * Records what would otherwise be lost or crash the process during outage tests: unhandled
 * promise rejections, and the "[ioredis] Unhandled error event" ioredis prints when a client
 * emits 'error' without a listener.
 */
export class UnhandledErrorsRecorder {
  readonly errors: unknown[] = [];
  private readonly originalConsoleError = console.error;
  private readonly onRejection = (reason: unknown): void => {
    this.errors.push(reason);
  };

  start(): this {
    process.on('unhandledRejection', this.onRejection);
    console.error = (...args: unknown[]): void => {
      if (typeof args[0] === 'string' && args[0].includes('Unhandled error event')) {
        this.errors.push(args);
        return;
      }
      this.originalConsoleError(...args);
    };
    return this;
  }

  stop(): void {
    process.off('unhandledRejection', this.onRejection);
    console.error = this.originalConsoleError;
  }
}
