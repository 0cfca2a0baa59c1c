import { readFileSync } from 'node:fs';

/** A TCP socket as Linux lists it in /proc/net/tcp{,6}: `state` 0A is listening, `timer` 2 is keepalive. */
export interface TcpSocket {
  state: string;
  timer: string;
}

/** The sockets whose local address has `port` (Linux only). */
export function tcpSocketsOn(port: number): TcpSocket[] {
  const local = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  return ['/proc/net/tcp', '/proc/net/tcp6']
    .flatMap((file) => readFileSync(file, 'utf8').split('\n'))
    .map((line) => line.trim().split(/\s+/))
    .filter(([, address]) => address?.endsWith(local))
    .map(([, , , state, , timer]) => ({ state, timer: timer.split(':')[0] }));
}
