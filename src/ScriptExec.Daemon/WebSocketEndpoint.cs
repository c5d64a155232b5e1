using Microsoft.Extensions.Primitives;
using ScriptExec.Core;
using ScriptExec.Rpc.Methods;
using ScriptExec.Rpc.Sessions;
using ScriptExec.Rpc.Protocol;

namespace ScriptExec.Daemon;

/// <summary>
/// JSON-RPC over WebSocket at <c>/rpc</c>, one message per text frame. Before the upgrade: a foreign Origin is
/// refused with 403 (cross-site WebSocket hijacking), a wrong bearer token with 401, a missing one with 401 unless a
/// browser asks (an accepted Origin): a browser cannot set an Authorization header, so its connection starts with no
/// role and logs in with <c>authenticate</c> (the management page does), within <see cref="AuthenticateWithin"/>.
/// </summary>
internal sealed class WebSocketEndpoint
{
    public const string Path = "/rpc";

    /// <summary>How long a browser's connection opened without a token may stay open without authenticating.</summary>
    public static readonly TimeSpan AuthenticateWithin = TimeSpan.FromSeconds(30);

    /// <summary>The user a browser's connection has until it authenticates; it may call nothing but <c>authenticate</c>.</summary>
    public const string UnauthenticatedUser = "(not logged in)";

    private readonly RpcBackend _services;
    private readonly DaemonOptions _options;
    private readonly TokenAuthenticator _tokens;
    private readonly ILogger<WebSocketEndpoint> _logger;

    public WebSocketEndpoint(RpcBackend services, DaemonOptions options, TokenAuthenticator tokens, ILogger<WebSocketEndpoint> logger)
    {
        _services = services;
        _options = options;
        _tokens = tokens;
        _logger = logger;
    }

    public async Task HandleAsync(HttpContext context)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            await context.Response.WriteAsync("JSON-RPC over WebSocket: upgrade required\n", context.RequestAborted);
            return;
        }

        if (!OriginAllowed(context.Request))
        {
            Log.OriginRefused(_logger, context.Request.Headers.Origin.ToString());
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            return;
        }

        var presented = PresentedToken(context.Request);
        var browserLogin = presented is null && !StringValues.IsNullOrEmpty(context.Request.Headers.Origin);
        var caller = browserLogin
            ? new CallerIdentity(UnauthenticatedUser, CallerIdentity.WebSocketTransport, Role.None)
            : _tokens.Authenticate(presented) is var (user, role)
                ? new CallerIdentity(user, CallerIdentity.WebSocketTransport, role)
                : _services.Supervisor.Tokens.TryValidate(presented, out var grant)
                    ? CallerIdentity.ForRun(grant, CallerIdentity.WebSocketTransport)
                    : null;
        if (caller is null)
        {
            Log.TokenRefused(_logger, context.Connection.RemoteIpAddress?.ToString() ?? "?");
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            context.Response.Headers.WWWAuthenticate = "Bearer";
            return;
        }

        if (browserLogin)
        {
            Log.BrowserLoginAccepted(_logger, context.Request.Headers.Origin.ToString(), (int)AuthenticateWithin.TotalSeconds);
        }

        using var socket = await context.WebSockets.AcceptWebSocketAsync();
        var transport = new WebSocketTransport(
            socket, _options.MaxMessageBytes, _options.MessageTimeout, deadlines: context.Features.Get<WebSocketDeadlineStream>());
        await ClientSession.RunAsync(
            _services, transport, caller, _logger, context.RequestAborted, authenticateWithin: browserLogin ? AuthenticateWithin : null);
    }

    /// <summary>No Origin (CLI, scripts) is fine; a browser's must be this endpoint's own origin or allow-listed.</summary>
    private bool OriginAllowed(HttpRequest request)
    {
        var origin = request.Headers.Origin;
        if (StringValues.IsNullOrEmpty(origin))
        {
            return true;
        }

        var own = $"{request.Scheme}://{request.Host.Value}";
        var presented = origin.ToString();
        return string.Equals(presented, own, StringComparison.OrdinalIgnoreCase)
            || _options.AllowedOrigins.Contains(presented, StringComparer.OrdinalIgnoreCase);
    }

    private static string? PresentedToken(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return header["Bearer ".Length..].Trim();
        }

        // Browsers cannot set headers on a WebSocket upgrade.
        return request.Query.TryGetValue("access_token", out var token) ? token.ToString() : null;
    }
}
