import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';

/** Node's default `maxHeaderSize`: the request line and headers together. */
export const HEADER_LIMIT_TEXT = '16 KB';

/**
 * Node's HTTP parser refuses some requests before Fastify or Nest sees one (a malformed request line, header or chunk,
 * a URL and headers over 16 KB): Fastify's default reply to them has a shape of its own, this one the contract's.
 * The connection is closed after it, as Node does, since the stream can no longer be read.
 */
export function replyToClientError(error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, message, details] = refusalOf(error);
  const body = JSON.stringify({ error: message, details });
  // As Node's own default: not once an answer on this connection has begun, or the client would read a mix of both.
  const inFlight = (socket as Socket & { _httpMessage?: { _headerSent?: boolean } | null })._httpMessage;
  if (socket.writable && !inFlight?._headerSent) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}

function refusalOf(error: NodeJS.ErrnoException): [number, string, string | null] {
  if (error.code === 'HPE_HEADER_OVERFLOW') {
    return [431, 'Request line and headers are too large.', `The limit is ${HEADER_LIMIT_TEXT}.`];
  }
  if (error.code === 'HPE_CHUNK_EXTENSIONS_OVERFLOW') return [413, 'Request body is too large.', null];
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') return [408, 'Request timed out.', null];
  return [400, 'Malformed HTTP request.', null];
}
