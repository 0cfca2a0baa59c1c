/** The contract's error body: `{error, details}` and nothing else, `details` possibly null. */
export function expectErrorShape(body: unknown): void {
  const details = (body as { details?: unknown } | undefined)?.details;
  expect(body).toEqual({ error: expect.any(String), details: details === null ? null : expect.anything() });
}
