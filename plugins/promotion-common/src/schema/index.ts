export * from './model';
export * from './views';
export * from './requests';
export * from './operations';
