export { createApp, type App, type AppDeps } from './create-app.js';
export type { FrameClassifier } from './types.js';
