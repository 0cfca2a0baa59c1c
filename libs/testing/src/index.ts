export * from './factories';
export * from './tcp-sockets';
