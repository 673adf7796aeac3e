/**
 * Resolves when `predicate` is true, polling every `pollMs`; fails after `budgetMs` with `what`.
 * A predicate that throws counts as not yet (a server still starting refuses connections).
 */
export async function waitFor(
  what: string,
  predicate: () => boolean | Promise<boolean>,
  budgetMs = 60_000,
  pollMs = 100,
): Promise<void> {
  const deadline = Date.now() + budgetMs;
  while (Date.now() < deadline) {
    try {
      if (await predicate()) return;
    } catch {
      // not yet
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
  throw new Error(`Timed out waiting for ${what}`);
}
