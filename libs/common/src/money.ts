/** Money travels as integer cents inside Evently and as a 2-decimal JSON number on the wire. */
export function decimalToCents(value: string | number): number {
  const text = typeof value === 'number' ? value.toFixed(2) : value;
  const match = /^(-?)(\d+)(?:\.(\d{1,2}))?$/.exec(text.trim());
  if (!match) throw new Error(`not a decimal amount: ${text}`);
  const cents = Number(match[2]) * 100 + Number((match[3] ?? '').padEnd(2, '0'));
  return match[1] ? -cents : cents;
}

export function centsToDecimalString(cents: number): string {
  const sign = cents < 0 ? '-' : '';
  const absolute = Math.abs(cents);
  return `${sign}${Math.floor(absolute / 100)}.${String(absolute % 100).padStart(2, '0')}`;
}

/** The JSON number for a NUMERIC(…, 2) string, e.g. "150.00" → 150. Exact for amounts below 2^53 cents. */
export function decimalToNumber(value: string): number {
  return decimalToCents(value) / 100;
}
