using Microsoft.AspNetCore.Http.Features;
using ScriptExec.Rpc.Protocol;

namespace ScriptExec.Daemon;

/// <summary>
/// Puts a <see cref="WebSocketDeadlineStream"/> under every WebSocket the daemon accepts, so that message_timeout_s
/// counts from the first byte of a frame; the endpoint finds it in the request's features.
/// </summary>
/// <remarks>
/// ASP.NET Core's WebSocket middleware builds the socket on the stream the upgrade feature returns, so the feature
/// is wrapped, ahead of that middleware. Both upgrades are covered: HTTP/1.1 <c>Upgrade</c> and HTTP/2 extended
/// CONNECT (RFC 8441), which browsers may use over TLS.
/// </remarks>
internal static class TimedUpgradeFeature
{
    /// <summary>HTTP middleware, ahead of <c>UseWebSockets</c>.</summary>
    public static Func<HttpContext, RequestDelegate, Task> Middleware(TimeSpan messageTimeout, TimeProvider timeProvider) => (context, next) =>
    {
        if (context.Features.Get<IHttpUpgradeFeature>() is { IsUpgradableRequest: true } upgrade)
        {
            context.Features.Set<IHttpUpgradeFeature>(new Http1(upgrade, context.Features, messageTimeout, timeProvider));
        }
        else if (context.Features.Get<IHttpExtendedConnectFeature>() is { IsExtendedConnect: true } connect)
        {
            context.Features.Set<IHttpExtendedConnectFeature>(new Http2(connect, context.Features, messageTimeout, timeProvider));
        }

        return next(context);
    };

    private static WebSocketDeadlineStream Timed(Stream upgraded, IFeatureCollection features, TimeSpan messageTimeout, TimeProvider timeProvider)
    {
        var timed = new WebSocketDeadlineStream(upgraded, messageTimeout, timeProvider);
        features.Set(timed);
        return timed;
    }

    private sealed class Http1(IHttpUpgradeFeature inner, IFeatureCollection features, TimeSpan messageTimeout, TimeProvider timeProvider)
        : IHttpUpgradeFeature
    {
        public bool IsUpgradableRequest => inner.IsUpgradableRequest;

        public async Task<Stream> UpgradeAsync() => Timed(await inner.UpgradeAsync(), features, messageTimeout, timeProvider);
    }

    private sealed class Http2(IHttpExtendedConnectFeature inner, IFeatureCollection features, TimeSpan messageTimeout, TimeProvider timeProvider)
        : IHttpExtendedConnectFeature
    {
        public bool IsExtendedConnect => inner.IsExtendedConnect;

        public string? Protocol => inner.Protocol;

        public async ValueTask<Stream> AcceptAsync() => Timed(await inner.AcceptAsync(), features, messageTimeout, timeProvider);
    }
}
