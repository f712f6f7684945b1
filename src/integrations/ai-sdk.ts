/**
 * `engram-memory/ai-sdk`: Engram for the Vercel AI SDK (`ai` 7): a middleware
 * that recalls and remembers around every model call, and memory tools.
 * Needs the optional peer dependency `ai`.
 */
export { engramMiddleware, EngramMiddlewareOptionsSchema, type EngramMiddleware, type EngramMiddlewareOptions } from './ai-sdk-middleware.js';
export { engramTools, EngramToolsOptionsSchema, type EngramTools, type EngramToolsOptions, type SearchMemoryOutput, type AddMemoryOutput } from './ai-sdk-tools.js';
