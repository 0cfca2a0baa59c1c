import { applyDecorators, Type } from '@nestjs/common';
import { ApiBody, ApiExtraModels, getSchemaPath } from '@nestjs/swagger';

/**
 * The request body `type`, with the example Swagger UI's "Try it out" starts from: without one it fills in
 * every field the schema knows, optional ones included.
 */
export const ApiBodyExample = (type: Type<unknown>, summary: string, value: Record<string, unknown>) =>
  applyDecorators(
    ApiExtraModels(type),
    ApiBody({ schema: { $ref: getSchemaPath(type) }, examples: { example: { summary, value } } }),
  );
