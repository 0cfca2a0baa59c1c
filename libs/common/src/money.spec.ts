import { centsToDecimalString, decimalToCents, decimalToNumber } from './money';

describe('money', () => {
  it('converts NUMERIC strings exactly', () => {
    expect(decimalToCents('150.00')).toBe(15000);
    expect(decimalToCents('0.1')).toBe(10);
    expect(decimalToCents('99999999.99')).toBe(9999999999);
    expect(decimalToNumber('76.50')).toBe(76.5);
    expect(centsToDecimalString(30)).toBe('0.30');
  });
});
