using ScriptExec.Core;

namespace ScriptExec.Rpc.Sessions;

/// <summary>
/// The daemon's configured WebSocket tokens, as <c>authenticate</c> checks them: a browser cannot set an
/// Authorization header on a WebSocket, so the management page presents its token in that call instead.
/// </summary>
public interface IBearerTokens
{
    /// <summary>The user and role of a presented token, or null when it matches none.</summary>
    (string User, Role Role)? Authenticate(string? presented);
}
