import { ApiProperty } from '@nestjs/swagger';
import { IsInt, IsOptional, Min, ValidateIf } from 'class-validator';

import { LAST_PAGE, QueryPageSize, TextInteger } from '@evently/common';

import { INT32 } from './openapi-types';

/** `page` from 1 and `page_size` (default 10, over 100 clamped to 100), shared by every list. */
export class PaginationQueryDto {
  @ApiProperty({
    required: false,
    oneOf: [
      { ...INT32, minimum: 1 },
      { type: 'string', enum: [LAST_PAGE] },
    ],
    default: 1,
    description: 'from 1, or `last` for the last page, as in DRF',
  })
  @IsOptional()
  @TextInteger()
  @ValidateIf((query: PaginationQueryDto) => query.page !== LAST_PAGE)
  @IsInt({ message: `page must be an integer number, or ${LAST_PAGE}` })
  @Min(1)
  page?: number | typeof LAST_PAGE;

  @ApiProperty({
    required: false,
    type: 'integer',
    minimum: 1,
    default: 10,
    description: 'values over 100 are clamped to 100',
  })
  @IsOptional()
  @QueryPageSize()
  @IsInt()
  @Min(1)
  page_size?: number;
}

/** The fields of every list answer besides its `results`. */
export class ListPageDto {
  @ApiProperty({ ...INT32, description: 'Matching items over all pages' })
  count!: number;

  @ApiProperty({ type: String, format: 'uri', nullable: true, description: 'Absolute URL of the next page' })
  next!: string | null;

  @ApiProperty({ type: String, format: 'uri', nullable: true, description: 'Absolute URL of the previous page' })
  previous!: string | null;
}
