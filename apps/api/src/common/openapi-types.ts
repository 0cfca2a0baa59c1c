/** The OpenAPI type of an integer field that class-validator checks with `@IsInt()` within 32 bits (ids, counts). */
export const INT32 = { type: 'integer', format: 'int32' } as const;
