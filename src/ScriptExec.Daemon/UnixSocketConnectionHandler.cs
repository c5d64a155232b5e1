using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using ScriptExec.Rpc.Methods;
using ScriptExec.Rpc.Sessions;
using ScriptExec.Rpc.Protocol;
using ScriptExec.Supervisor;

namespace ScriptExec.Daemon;

/// <summary>
/// JSON-RPC over the Unix socket, one message per line. The caller is the peer process's user, read from the
/// kernel (SO_PEERCRED), so nothing the client says can change who it is.
/// </summary>
internal sealed class UnixSocketConnectionHandler : ConnectionHandler
{
    private const int SolSocket = 1;
    private const int SoPeerCred = 17;

    private readonly RpcBackend _services;
    private readonly DaemonOptions _options;
    private readonly UnixPeerRoles _roles;
    private readonly IHostApplicationLifetime _lifetime;
    private readonly ILogger<UnixSocketConnectionHandler> _logger;

    public UnixSocketConnectionHandler(
        RpcBackend services,
        DaemonOptions options,
        UnixPeerRoles roles,
        IHostApplicationLifetime lifetime,
        ILogger<UnixSocketConnectionHandler> logger)
    {
        _services = services;
        _options = options;
        _roles = roles;
        _lifetime = lifetime;
        _logger = logger;
    }

    public override async Task OnConnectedAsync(ConnectionContext connection)
    {
        var socket = connection.Features.Get<IConnectionSocketFeature>()?.Socket;
        if (socket is null || PeerCredentials(socket) is not var (uid, gid))
        {
            Log.PeerUnknown(_logger, connection.ConnectionId);
            return;
        }

        var user = UnixAccounts.NameOf(uid);
        var caller = new CallerIdentity(user, CallerIdentity.UnixTransport, _roles.Resolve(uid, gid, user));
        var transport = new NdjsonTransport(connection.Transport.Input, connection.Transport.Output, _options.MaxMessageBytes, _options.MessageTimeout);
        // Not connection.ConnectionClosed: it fires on the client's half-close (echo … | socat), and replies to
        // requests already read must still go out. The connection ends when its input ends and replies are sent.
        await ClientSession.RunAsync(_services, transport, caller, _logger, _lifetime.ApplicationStopping);
    }

    private static (uint Uid, uint Gid)? PeerCredentials(Socket socket)
    {
        // struct ucred { pid_t pid; uid_t uid; gid_t gid; }
        Span<byte> credentials = stackalloc byte[12];
        try
        {
            return socket.GetRawSocketOption(SolSocket, SoPeerCred, credentials) == 12
                ? (BitConverter.ToUInt32(credentials[4..8]), BitConverter.ToUInt32(credentials[8..12]))
                : null;
        }
        catch (SocketException)
        {
            return null;
        }
    }
}
