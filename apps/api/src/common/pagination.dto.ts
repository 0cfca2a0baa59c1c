import { ApiProperty } from '@nestjs/swagger';
import { IsInt, IsOptional, Min } from 'class-validator';

import { QueryPageSize, TextInteger } from '@evently/common';

import { INT32 } from './openapi-types';

/** `page` from 1 and `page_size` (default 10, over 100 clamped to 100), shared by every list. */
export class PaginationQueryDto {
  @ApiProperty({ required: false, ...INT32, minimum: 1, default: 1 })
  @IsOptional()
  @TextInteger()
  @IsInt()
  @Min(1)
  page?: number;

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
