import { ApiProperty } from '@nestjs/swagger';

/** The body of every error response. */
export class ErrorBody {
  @ApiProperty({ example: 'Validation failed.' })
  error!: string;

  @ApiProperty({
    nullable: true,
    oneOf: [{ type: 'string' }, { type: 'object', additionalProperties: true }],
    example: { number_of_tickets: ['number_of_tickets must not be greater than 10'] },
  })
  details!: string | Record<string, unknown> | null;
}
