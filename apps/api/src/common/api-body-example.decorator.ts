import { applyDecorators, Type } from '@nestjs/common';
import { ApiBody, ApiExtraModels, getSchemaPath } from '@nestjs/swagger';

/**
 * The request body `type`, with the example Swagger UI's "Try it out" starts from: without one it fills in
 * every field the schema knows, optional ones included. `required: false` where no body at all is a valid request
 * (a partial update that changes nothing).
 */
export const ApiBodyExample = (
  type: Type<unknown>,
  summary: string,
  value: Record<string, unknown>,
  { required = true } = {},
) =>
  applyDecorators(
    ApiExtraModels(type),
    ApiBody({ schema: { $ref: getSchemaPath(type) }, examples: { example: { summary, value } }, required }),
  );
