using System.Reflection;
using Microsoft.Extensions.Logging;
using ScriptExec.Core;
using StreamJsonRpc;
using StreamJsonRpc.Protocol;

namespace ScriptExec.Rpc.Protocol;

/// <summary>A <see cref="JsonRpc"/> whose error responses follow this API's contract and never leak internals.</summary>
/// <remarks>
/// <see cref="InvalidParameterException"/> becomes <c>-32602</c> naming the field, <see cref="ScriptExecException"/>
/// its stable application code and reason; anything else is logged here and reported only as <c>-32603</c>.
/// </remarks>
public sealed class ErrorMappingJsonRpc : JsonRpc
{
    private readonly ILogger _logger;

    public ErrorMappingJsonRpc(IJsonRpcMessageHandler messageHandler, ILogger logger)
        : base(messageHandler)
    {
        ArgumentNullException.ThrowIfNull(logger);
        _logger = logger;
    }

    /// <summary>Maps an exception an RPC method throws on purpose to its error; null for anything unexpected.</summary>
    internal static JsonRpcError.ErrorDetail? TryMapKnownException(Exception exception) => Unwrap(exception) switch
    {
        InvalidParameterException invalid => new JsonRpcError.ErrorDetail
        {
            Code = JsonRpcErrorCode.InvalidParams,
            Message = RpcErrorCodes.InvalidParamsFor(invalid.Field, invalid.Reason),
            Data = new RpcErrorData(invalid.Field, invalid.Reason),
        },
        ScriptExecException application => FromApplication(application),
        LocalRpcException deliberate => new JsonRpcError.ErrorDetail
        {
            Code = (JsonRpcErrorCode)deliberate.ErrorCode,
            Message = deliberate.Message,
            Data = deliberate.ErrorData,
        },
        _ => null,
    };

    protected override JsonRpcError.ErrorDetail CreateErrorDetails(JsonRpcRequest request, Exception exception)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(exception);
        if (TryMapKnownException(exception) is { } known)
        {
            return known;
        }

        // Message, type and stack of an unexpected exception stay in the log: they can name paths and internals.
        ProtocolLog.MethodFailed(_logger, request.Method, Unwrap(exception));
        return new JsonRpcError.ErrorDetail
        {
            Code = JsonRpcErrorCode.InternalError,
            Message = RpcErrorCodes.InternalErrorMessage,
        };
    }

    private static JsonRpcError.ErrorDetail FromApplication(ScriptExecException exception)
    {
        (int code, string reason) = RpcErrorCodes.ForKind(exception.Kind);
        return new JsonRpcError.ErrorDetail
        {
            Code = (JsonRpcErrorCode)code,
            Message = exception.Message,
            Data = new RpcErrorData(Field: null, reason, exception.Storage?.ToWire()),
        };
    }

    // StreamJsonRpc strips one TargetInvocationException or AggregateException; a method may wrap more deeply.
    private static Exception Unwrap(Exception exception)
    {
        while (exception is TargetInvocationException or AggregateException && exception.InnerException is { } inner)
        {
            exception = inner;
        }

        return exception;
    }
}
