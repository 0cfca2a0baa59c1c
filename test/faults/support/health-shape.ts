/** Health's body while `down` (PostgreSQL or Redis) is down and the other is up: unhealthy, naming the part. */
export function expectUnhealthyNaming(body: unknown, down: 'database' | 'redis'): void {
  const up = down === 'database' ? 'redis' : 'database';
  expect(body).toMatchObject({
    status: 'unhealthy',
    checks: { [down]: 'down', [up]: 'up' },
    message: expect.stringContaining(down),
    error: 'Service temporarily unavailable.',
    details: expect.stringContaining(down),
  });
}
