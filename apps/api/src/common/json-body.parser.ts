import { MIMEType, TextDecoder } from 'node:util';

import type { FastifyBodyParser, FastifyInstance } from 'fastify';

import { BadRequestError } from '@evently/common';

import { MAX_JSON_DEPTH, MAX_JSON_VALUES, tooManyFields } from './body-limits';

/**
 * The api's `application/json` parser: Fastify's own (which refuses `__proto__` and `constructor.prototype`
 * keys), plus these rules. An empty body is no body, as clients send `Content-Type: application/json` on a
 * bodiless DELETE or logout (one of only whitespace is malformed, as DRF reads it). A body nested deeper than
 * 32 levels is refused before it is parsed: no request needs it, and class-transformer recurses once per level,
 * so 10,000 levels would overflow the stack; one of more than {@link MAX_JSON_VALUES} values once it parses. And the
 * body must be text in its charset, and its strings well-formed Unicode.
 */
export function jsonBodyParser(fastify: FastifyInstance): FastifyBodyParser<Buffer> {
  const parseJson = fastify.getDefaultJsonParser('error', 'error');
  return (request, body, done) => {
    const text = decodeBody(body, request.headers['content-type']);
    if (text instanceof Error) return done(text);
    if (text === '') return done(null, undefined);
    const shape = shapeOf(text);
    if (shape.tooDeep) {
      return done(new BadRequestError('Request body is nested too deeply.', `The limit is ${MAX_JSON_DEPTH} levels.`));
    }
    parseJson(request, text, (error, value) => {
      if (error) return done(error);
      // Only once parsed: a malformed body is a 400 however many commas it holds.
      if (shape.values > MAX_JSON_VALUES) {
        return done(tooManyFields(`${MAX_JSON_VALUES} object members and array items in all`));
      }
      done(isWellFormed(value) ? null : notValidUnicode(), value);
    });
  };
}

// Without a stream, decoding keeps no state from one body to the next: one decoder serves every request.
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The body in the charset its type names, UTF-8 unless it names one, as DRF's parser decodes it: bytes that are not
 * text in it are a 400, where decoding leniently would store U+FFFD in their place.
 */
function decodeBody(body: Buffer, contentType: string | undefined): string | Error {
  const decoder = decoderFor(charsetOf(contentType));
  try {
    return decoder.decode(body);
  } catch {
    return new BadRequestError('Request body is not valid Unicode.', `It is not well-formed ${decoder.encoding}.`);
  }
}

/** As Django reads it: a charset it cannot look up is ignored, and the body read as UTF-8. */
function decoderFor(charset: string | undefined): TextDecoder {
  if (charset === undefined || /^utf-?8$/i.test(charset)) return UTF8;
  try {
    return new TextDecoder(charset, { fatal: true });
  } catch {
    return UTF8;
  }
}

/** The charset parameter of a Content-Type, quoted or not; the type is parsed only when it names one. */
function charsetOf(contentType: string | undefined): string | undefined {
  if (!contentType || !/charset/i.test(contentType)) return undefined;
  try {
    return new MIMEType(contentType).params.get('charset') ?? undefined;
  } catch {
    return undefined;
  }
}

/** `"\ud800"` is valid JSON but no text: validators that encode it (isEmail) throw, and PostgreSQL mangles it. */
function isWellFormed(value: unknown): boolean {
  if (typeof value === 'string') return isWellFormedText(value);
  if (typeof value !== 'object' || value === null) return true;
  return Object.entries(value).every(([key, item]) => isWellFormedText(key) && isWellFormed(item));
}

export const notValidUnicode = () =>
  new BadRequestError('Request body is not valid Unicode.', 'It holds an unpaired surrogate.');

export function isWellFormedText(text: string): boolean {
  return !LONE_SURROGATE.test(text);
}

// In a `u` regex, a surrogate pair is one code point; only an unpaired half matches \p{Cs}.
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * Scans the text outside strings, so it needs no parse, and stops at the first level too deep. It counts a value for
 * each comma and each non-empty container's first: a parsed object of 131,000 keys took 140 ms only to list them.
 */
function shapeOf(json: string): { tooDeep: boolean; values: number } {
  let depth = 0;
  let values = 0;
  let inString = false;
  let justOpened = false;
  for (let index = 0; index < json.length; index++) {
    const char = json[index];
    if (inString) {
      if (char === '\\') index++;
      else if (char === '"') inString = false;
      continue;
    }
    if (char === ' ' || char === '\n' || char === '\r' || char === '\t') continue;
    if (justOpened && char !== '}' && char !== ']') values++;
    justOpened = char === '{' || char === '[';
    if (justOpened && ++depth > MAX_JSON_DEPTH) return { tooDeep: true, values };
    if (char === '}' || char === ']') depth--;
    else if (char === ',') values++;
    else if (char === '"') inString = true;
  }
  return { tooDeep: false, values };
}
