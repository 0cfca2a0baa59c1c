import { parse } from 'node:querystring';

import { Busboy, BusboyHeaders } from '@fastify/busboy';
import type { FastifyBodyParser } from 'fastify';

import { BadRequestError, UnsupportedMediaTypeError } from '@evently/common';

import { MAX_FORM_FIELDS, tooManyFields, UNSUPPORTED_MEDIA_TYPE } from './body-limits';
import { isWellFormedText, notValidUnicode } from './json-body.parser';
import { lastValues } from './query-string.parser';

const FORBIDDEN_FIELD_NAMES = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * `application/x-www-form-urlencoded`, read as DRF's `QueryDict` reads it: a field sent twice counts by its last value.
 */
export const urlencodedBodyParser: FastifyBodyParser<Buffer> = (_request, body, done) => {
  const text = body.toString();
  if (moreFieldsThanAllowed(text)) return done(tooManyFields(MAX_FORM_FIELDS));
  const fields: Record<string, string> = {};
  let refusal: Error | undefined;
  for (const [name, last] of lastValues(parse(text, '&', '=', { maxKeys: 0 }))) {
    refusal ??= fieldRefusal(name, last);
    fields[name] = last;
  }
  done(refusal ?? null, refusal ? undefined : fields);
};

/**
 * The api's `multipart/form-data` parser (DRF's default parsers read it too), for fields only. Fastify has read the
 * whole body first, within the same limit as JSON, so no field is ever cut short. Every part is text whatever type it
 * names, unless it carries a file name: files are refused, and never opened as streams (an unread file stream that
 * errs, as one cut short does, would end the process). A field sent twice counts by its last value, as in DRF.
 */
export const multipartBodyParser: FastifyBodyParser<Buffer> = (request, body, done) => {
  if (body.length === 0) return done(null, undefined);
  let form: ReturnType<typeof Busboy>;
  try {
    form = Busboy({
      headers: request.headers as BusboyHeaders,
      limits: { parts: MAX_FORM_FIELDS, files: 0, fieldSize: body.length },
      isPartAFile: (_name, _type, fileName) => fileName !== undefined,
    });
  } catch {
    return done(new BadRequestError('Malformed multipart body.', 'It names no boundary.'));
  }
  const fields: Record<string, string> = {};
  let refusal: Error | undefined;
  let finished = false;
  const finish = (error: Error | undefined) => {
    if (finished) return;
    finished = true;
    done(error ?? null, error ? undefined : fields);
  };
  form.on('field', (name: string, value: string) => {
    refusal ??= fieldRefusal(name, value);
    fields[name] = value;
  });
  form.on('filesLimit', () => (refusal ??= new BadRequestError('File uploads are not accepted.')));
  form.on('partsLimit', () => (refusal ??= tooManyFields(MAX_FORM_FIELDS)));
  form.on('error', () => finish(new BadRequestError('Malformed multipart body.')));
  form.on('finish', () => finish(refusal));
  form.end(body);
};

/**
 * Counts the `&`-separated pairs a urlencoded body holds, as multipart counts its parts, and stops past the limit.
 * Empty pairs (`a=1&&b=2`, a trailing `&`) are not counted: the parser skips them.
 */
function moreFieldsThanAllowed(text: string): boolean {
  let fields = 0;
  for (let start = 0; start <= text.length && fields <= MAX_FORM_FIELDS;) {
    let end = text.indexOf('&', start);
    if (end === -1) end = text.length;
    if (end > start) fields++;
    start = end + 1;
  }
  return fields > MAX_FORM_FIELDS;
}

/** A part may name its charset, and UTF-16 can decode to half a surrogate pair, which no validator expects. */
function fieldRefusal(name: string, value: string): Error | undefined {
  if (FORBIDDEN_FIELD_NAMES.has(name)) return new BadRequestError('Field name not allowed.', name);
  if (!isWellFormedText(name) || !isWellFormedText(value)) return notValidUnicode();
  return undefined;
}

/**
 * Every other type is DRF's 415, unless nothing was sent (a bodiless logout or DELETE from a client that names a type
 * anyway: fetch sends `text/plain` for an empty string) or no route has the path (404, as DRF resolves the URL first).
 */
export const otherBodyParser: FastifyBodyParser<Buffer> = (request, body, done) =>
  body.length === 0 || request.is404
    ? done(null, undefined)
    : done(new UnsupportedMediaTypeError(UNSUPPORTED_MEDIA_TYPE));
