// Baseline (a): the cheapest Node HTTP server answering a small JSON, to show what the machine allows.
import { Buffer } from 'node:buffer';
import { createServer } from 'node:http';

const body = JSON.stringify({ status: 'ok', service: 'bare' });

createServer((_request, response) => {
  response.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  response.end(body);
}).listen(Number(process.env.PORT), '127.0.0.1');
