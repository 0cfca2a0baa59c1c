import { plainToInstance } from 'class-transformer';
import { IsInt, IsOptional, Min, validateSync } from 'class-validator';

import { canonicalDecimal, IsNonNegativeDecimal, QueryDecimal, QueryPageSize } from './text-numbers';

class PriceQuery {
  @IsOptional()
  @QueryDecimal()
  @IsNonNegativeDecimal()
  price?: unknown;
}

class PageQuery {
  @IsOptional()
  @QueryPageSize()
  @IsInt()
  @Min(1)
  page_size?: unknown;
}

function read<T extends object>(dto: new () => T, query: Record<string, unknown>) {
  const instance = plainToInstance(dto, query);
  const messages = validateSync(instance).flatMap((error) => Object.values(error.constraints ?? {}));
  return { value: Object.values(instance)[0], messages };
}

describe('canonicalDecimal', () => {
  it.each([
    ['25.50', '25.5'],
    ['007.500', '7.5'],
    ['25.500000000000000001', '25.500000000000000001'],
    ['10', '10'],
    ['100.000', '100'],
    ['000', '0'],
    ['0.0001', '0.0001'],
    ['-0.00', '0'],
    ['-01.10', '-1.1'],
  ])('%s is %s', (decimal, canonical) => {
    expect(canonicalDecimal(decimal)).toBe(canonical);
  });
});

describe('QueryDecimal and IsNonNegativeDecimal', () => {
  it.each([
    ['25.50', '25.5'],
    [' 25.499999999999999999 ', '25.499999999999999999'],
    ['-0', '0'],
    [`1${'0'.repeat(300)}`, `1${'0'.repeat(300)}`],
  ])('keeps %j exactly, as %j', (price, value) => {
    expect(read(PriceQuery, { price })).toEqual({ value, messages: [] });
  });

  const min = 'price must not be less than 0';
  const number = 'price must be a number conforming to the specified constraints';
  it.each([
    ['abc', [min, number]],
    ['1e3', [min, number]],
    ['.5', [min, number]],
    ['-1', [min]],
    ['-0.01', [min]],
    ['9'.repeat(400), [number]],
    [`-${'9'.repeat(400)}`, [min, number]],
    [`0.${'1'.repeat(16_384)}`, [number]],
  ])('refuses %j with the messages of @IsNumber() @Min(0)', (price, messages) => {
    expect(read(PriceQuery, { price }).messages).toEqual(messages);
  });

  it('refuses a repeated parameter', () => {
    expect(read(PriceQuery, { price: ['1', '2'] }).messages).toEqual([min, number]);
  });
});

describe('QueryPageSize', () => {
  it.each([
    ['10', 10],
    ['100', 100],
    ['101', 100],
    ['100.0', 100],
    [' 20 ', 20],
    ['+5', 5],
    [' +101 ', 100],
    ['99999999999999999999', 100],
    ['9'.repeat(400), 100],
    ['00000000000000000000101', 100],
  ])('reads %j as %j', (size, pageSize) => {
    expect(read(PageQuery, { page_size: size })).toEqual({ value: pageSize, messages: [] });
  });

  it.each([
    '0',
    '-5',
    '-99999999999999999999',
    '10.5',
    '10.000000000000000001',
    '99999999999999999999.5',
    'ten',
    '1e3',
    '+-5',
    '++5',
  ])('refuses %j', (size) => {
    expect(read(PageQuery, { page_size: size }).messages.length).toBeGreaterThan(0);
  });
});
