using System.Net.Sockets;
using System.Text;

namespace ScriptExec.Cli.Connection;

/// <summary>NDJSON over the daemon's Unix socket: one message per <c>\n</c>-terminated UTF-8 line.</summary>
internal sealed class UnixSocketChannel : IMessageChannel
{
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);

    private readonly NetworkStream _stream;
    private readonly StreamReader _reader;

    private UnixSocketChannel(NetworkStream stream)
    {
        _stream = stream;
        _reader = new StreamReader(stream, Utf8, detectEncodingFromByteOrderMarks: false);
    }

    public static async Task<UnixSocketChannel> ConnectAsync(string path, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), cancellationToken);
            return new UnixSocketChannel(new NetworkStream(socket, ownsSocket: true));
        }
        catch (SocketException e)
        {
            socket.Dispose();
            const string NotRunning = " (is scriptexecd running? give its socket with --socket or SCRIPTEXEC_SOCKET)";

            // .NET reports a missing socket file as "Cannot assign requested address"; say what it is.
            var reason = !File.Exists(path) ? "no such socket" + NotRunning : e.SocketErrorCode switch
            {
                SocketError.ConnectionRefused => e.Message + NotRunning,
                SocketError.AccessDenied => e.Message + " (the socket is mode 0660: join the daemon's group, or use --url)",
                _ => e.Message,
            };
            throw new DaemonUnavailableException($"cannot connect to scriptexecd at {path}: {reason}", e);
        }
        catch (ArgumentOutOfRangeException e)
        {
            socket.Dispose();
            throw new DaemonUnavailableException($"cannot connect to scriptexecd at {path}: the path is too long for a Unix socket", e);
        }
    }

    public async Task SendAsync(string message, CancellationToken cancellationToken)
    {
        try
        {
            await _stream.WriteAsync(Utf8.GetBytes(message + "\n"), cancellationToken);
        }
        catch (IOException e)
        {
            throw new DaemonUnavailableException("the connection to scriptexecd was lost: " + e.Message, e);
        }
    }

    public async Task<string?> ReceiveAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (await _reader.ReadLineAsync(cancellationToken) is { } line)
            {
                if (line.Length > 0)
                {
                    return line;
                }
            }

            return null;
        }
        catch (IOException e)
        {
            throw new DaemonUnavailableException("the connection to scriptexecd was lost: " + e.Message, e);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _reader.Dispose();
        await _stream.DisposeAsync();
    }
}
