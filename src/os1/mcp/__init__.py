"""MCP both ways: OS1's memory and skills served to MCP hosts (`os1 mcp`, and `/mcp` under
`os1 serve`), and other MCP servers' tools offered to OS1's own model (`[mcp.servers.NAME]`)."""
