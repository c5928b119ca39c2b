/**
 * A value made on first use and shared by every caller after that, concurrent first callers
 * included. A failure is not kept: the next call tries again (a storage account or a cluster that
 * was unreachable for one invocation must not stay unreachable for the life of the worker).
 */
export function onceAsync<T>(make: () => Promise<T>): () => Promise<T> {
  let value: Promise<T> | undefined;
  return () => {
    if (!value) {
      const made = make();
      value = made;
      made.catch(() => {
        if (value === made) value = undefined;
      });
    }
    return value;
  };
}
