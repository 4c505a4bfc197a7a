export * from './blob.js';
export * from './claim.js';
export * from './lookaside.js';
export * from './message.js';
export * from './reference.js';
export * from './keyring.js';
export * from './extension.js';
export * from './material.js';
