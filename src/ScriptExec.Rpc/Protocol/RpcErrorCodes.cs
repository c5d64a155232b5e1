using ScriptExec.Core;

namespace ScriptExec.Rpc.Protocol;

/// <summary>The error codes and messages this API uses on the wire: JSON-RPC's reserved ones and the application's.</summary>
public static class RpcErrorCodes
{
    public const int ParseError = -32700;
    public const int InvalidRequest = -32600;
    public const int MethodNotFound = -32601;
    public const int InvalidParams = -32602;
    public const int InternalError = -32603;

    public const string ParseErrorMessage = "Parse error";
    public const string InvalidRequestMessage = "Invalid Request";
    public const string MethodNotFoundMessage = "Method not found";
    public const string InvalidParamsMessage = "Invalid params";
    public const string InternalErrorMessage = "Internal error";

    /// <summary>Gets the stable code and snake_case reason of an application error kind.</summary>
    public static (int Code, string Reason) ForKind(ErrorKind kind) => kind switch
    {
        ErrorKind.NotFound => (1001, "not_found"),
        ErrorKind.AlreadyRunning => (1002, "already_running"),
        ErrorKind.NotRunning => (1003, "not_running"),
        ErrorKind.Forbidden => (1004, "forbidden"),
        ErrorKind.Capacity => (1005, "capacity"),
        ErrorKind.Conflict => (1006, "conflict"),
        ErrorKind.Unavailable => (1007, "unavailable"),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown error kind"),
    };

    /// <summary>Gets the message of a <c>-32602</c> error about one field.</summary>
    public static string InvalidParamsFor(string field, string reason) => $"{InvalidParamsMessage}: {field} {reason}";
}
