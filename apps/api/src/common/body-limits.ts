/** The largest request body the api reads (413 beyond). */
export const BODY_LIMIT_BYTES = 1024 * 1024;

/**
 * A multipart/form-data body (DRF's default parsers read it) brings fields only. A field is at most 64 KiB, more than
 * the longest text any field takes (10,000 characters of up to 4 bytes), so a value cut there is refused by its
 * length check rather than stored cut short.
 */
export const MULTIPART_LIMITS = { fields: 32, parts: 32, files: 0, fieldSize: 64 * 1024 } as const;
