namespace ScriptExec.Cli.Connection;

/// <summary>Whole JSON-RPC messages over one transport: a line on the Unix socket, a text frame on the WebSocket.</summary>
internal interface IMessageChannel : IAsyncDisposable
{
    Task SendAsync(string message, CancellationToken cancellationToken);

    /// <summary>The next message, or null once the daemon closed the connection.</summary>
    Task<string?> ReceiveAsync(CancellationToken cancellationToken);
}
