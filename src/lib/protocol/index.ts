export * from './errors';
export * from './auth';
export * from './socket';
export * from './chat';
export * from './profile';
export * from './files';
export * from './calls';
