/** ISO 8601 in UTC with `Z`, as every time on the wire. */
export function toIsoUtc(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
