import { ApiProperty } from '@nestjs/swagger';

/** The body of every error response. */
export class ErrorBody {
  @ApiProperty({ example: 'Error message' })
  error!: string;

  @ApiProperty({
    nullable: true,
    oneOf: [{ type: 'string' }, { type: 'object', additionalProperties: true }],
    description: 'Additional details; for validation errors, the messages of each field',
    example: null,
  })
  details!: string | Record<string, unknown> | null;
}
