export * from './breaker';
export * from './failure';
