import { errLine, type CliCommand } from '../command.js';

/** `engram mcp` lives in mcp-command.ts (and src/mcp/); loaded only when used. */
export const mcpCommand: CliCommand = {
  name: 'mcp',
  summary: 'serve your memories to an AI assistant over MCP (stdio)',
  usage: `engram mcp — serve your memories to an AI assistant over the Model Context Protocol (stdio)

Usage:
  engram mcp [--user <id>] [--agent <id>] [--no-worker] [--db <file>] [...]

  See \`engram mcp --help\` for the options.
`,
  async run(argv, io) {
    const { runMcpCommand } = await import('../mcp-command.js');
    return runMcpCommand(argv, {
      stdin: io.stdin ?? process.stdin,
      stdout: io.stdout ?? process.stdout,
      err: (line) => errLine(io, line),
      env: io.env,
      llm: io.llm,
    });
  },
};
