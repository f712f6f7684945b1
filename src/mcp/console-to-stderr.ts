/**
 * Sends console.log / info / debug to stderr until the returned function is
 * called. Over stdio, stdout carries only protocol messages, and a dependency
 * (a model runtime, say) that prints there would corrupt the stream.
 */
export function routeConsoleToStderr(): () => void {
  const saved = { log: console.log, info: console.info, debug: console.debug };
  console.log = console.info = console.debug = (...args: unknown[]) => console.error(...args);
  return () => Object.assign(console, saved);
}
