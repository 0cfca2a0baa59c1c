import { ApiProperty } from '@nestjs/swagger';

/** The body of every error response. */
export class ErrorBody {
  @ApiProperty({ example: 'Error message' })
  error!: string;

  // OpenAPI 3.0 allows null only beside a `type`, so each branch carries its own `nullable`.
  @ApiProperty({
    anyOf: [
      { type: 'string', nullable: true },
      { type: 'object', additionalProperties: true, nullable: true },
    ],
    description: 'null for most errors; otherwise a string, or for validation errors the messages of each field',
    example: null,
  })
  details!: string | Record<string, unknown> | null;
}
