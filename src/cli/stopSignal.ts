/** Resolves on the first Ctrl-C (SIGINT) or SIGTERM, for commands that run until stopped. */
export function stopSignal(): Promise<void> {
  return new Promise<void>((done) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      done();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
