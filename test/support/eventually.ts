/** Polls until `check` passes or the bound runs out (for asynchronous effects such as garbage collection). */
export async function eventually(check: () => Promise<void> | void, timeoutMs = 5_000, everyMs = 10): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, everyMs));
    }
  }
}
