using System.Collections.Concurrent;
using System.Collections.Frozen;
using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using Microsoft.Extensions.Logging;
using StreamJsonRpc;

namespace ScriptExec.Rpc.Protocol;

/// <summary>One JSON-RPC connection: a transport, the spec-complete front layer, and StreamJsonRpc dispatching to a target.</summary>
/// <remarks>
/// Only the target's methods marked <c>[JsonRpcMethod("name")]</c> are reachable, each under that name. Every such
/// method takes one by-name params object (use <c>UseSingleObjectParameterDeserialization = true</c> with a
/// <c>JsonElement</c> or DTO parameter, plus an optional <see cref="CancellationToken"/>). The connection owns the
/// transport.
/// </remarks>
public sealed class RpcConnection : IAsyncDisposable
{
    private static readonly ConcurrentDictionary<Type, (MethodInfo Method, JsonRpcMethodAttribute Attribute)[]> MethodsByTargetType = new();

    private readonly ErrorMappingJsonRpc _rpc;
    private readonly ILogger _logger;

    /// <param name="target">The object whose <c>[JsonRpcMethod]</c> methods serve the requests.</param>
    /// <param name="targetType">The type whose public methods are looked up: named, so the trimmer keeps them.</param>
    /// <param name="methodNames">The method names to treat as existing; by default those of the target's attributes.</param>
    /// <param name="gate">Checks every request before dispatch (roles); none: every request is dispatched.</param>
    public RpcConnection(
        IMessageTransport transport,
        object target,
        [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicMethods)] Type targetType,
        ILogger logger,
        IReadOnlySet<string>? methodNames = null,
        int maxBatchMembers = SpecCompliantMessageHandler.DefaultMaxBatchMembers,
        int maxUnansweredRequests = SpecCompliantMessageHandler.DefaultMaxUnansweredRequests,
        IMethodGate? gate = null)
    {
        ArgumentNullException.ThrowIfNull(transport);
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(targetType);
        ArgumentNullException.ThrowIfNull(logger);
        if (!targetType.IsInstanceOfType(target))
        {
            throw new ArgumentException($"The target is not a {targetType.Name}.", nameof(target));
        }

        _logger = logger;
        // Looked up once per target type: reading the attributes of every public method took a sixth of what a new
        // connection cost the native daemon (reflection metadata, type loader lookups).
        if (!MethodsByTargetType.TryGetValue(targetType, out var methods))
        {
            methods = RpcMethodsOf(targetType);
            MethodsByTargetType.TryAdd(targetType, methods);
        }

        var formatter = CreateFormatter();
        var handler = new SpecCompliantMessageHandler(
            transport,
            formatter,
            methodNames ?? methods.Select(m => m.Attribute.Name!).ToFrozenSet(StringComparer.Ordinal),
            logger,
            maxBatchMembers,
            maxUnansweredRequests)
        {
            Gate = gate,
        };
        _rpc = new ErrorMappingJsonRpc(handler, logger)
        {
            // A client that goes away should not leave its long calls (waits, follows) running.
            CancelLocallyInvokedMethodsWhenConnectionIsClosed = true,
        };
        foreach ((MethodInfo method, JsonRpcMethodAttribute attribute) in methods)
        {
            _rpc.AddLocalRpcMethod(method, method.IsStatic ? null : target, attribute);
        }
    }

    /// <summary>Gets the StreamJsonRpc connection, e.g. to send notifications with <c>NotifyWithParameterObjectAsync</c>.</summary>
    public JsonRpc Rpc => _rpc;

    /// <summary>Serves one connection until the peer leaves, the connection fails, or <paramref name="cancellationToken"/> fires.</summary>
    public static async Task RunAsync<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicMethods)] TTarget>(
        IMessageTransport transport,
        TTarget target,
        IReadOnlySet<string>? methodNames,
        ILogger logger,
        CancellationToken cancellationToken)
        where TTarget : class
    {
        await using var connection = new RpcConnection(transport, target, typeof(TTarget), logger, methodNames);
        await connection.RunAsync(cancellationToken);
    }

    /// <summary>Gets the names of the target type's <c>[JsonRpcMethod("name")]</c> methods.</summary>
    public static IReadOnlySet<string> MethodNamesOf([DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicMethods)] Type targetType) =>
        RpcMethodsOf(targetType).Select(m => m.Attribute.Name!).ToFrozenSet(StringComparer.Ordinal);

    /// <summary>Starts listening and completes when the connection has ended and its transport is closed.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        _rpc.Disconnected += OnDisconnected;
        _rpc.StartListening();
        using (cancellationToken.Register(static state => ((JsonRpc)state!).Dispose(), _rpc))
        {
            await EndedAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _rpc.Dispose();
        await EndedAsync();
    }

    private async Task EndedAsync()
    {
        try
        {
            await _rpc.Completion;
        }
        catch (Exception)
        {
            // A connection that broke is an ordinary end for a server; OnDisconnected logged why.
        }
    }

    // StreamJsonRpc calls it "partially NativeAOT safe": its formatter is marked as reflecting over user types, but with
    // a resolver in its options it serializes params, results and error data only through it, and RpcJson's resolver
    // is the build-time RpcJsonContext in the native binary (reflection disabled there).
    [UnconditionalSuppressMessage("Trimming", "IL2026:RequiresUnreferencedCode", Justification = "User data goes through RpcJson.Options' source-generated resolver.")]
    [UnconditionalSuppressMessage("AOT", "IL3050:RequiresDynamicCode", Justification = "User data goes through RpcJson.Options' source-generated resolver.")]
    private static SystemTextJsonFormatter CreateFormatter() => new() { JsonSerializerOptions = RpcJson.Options };

    private static (MethodInfo Method, JsonRpcMethodAttribute Attribute)[] RpcMethodsOf(
        [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicMethods)] Type targetType) =>
        targetType
            .GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static)
            .Select(m => (Method: m, Attribute: m.GetCustomAttribute<JsonRpcMethodAttribute>()))
            .Where(m => m.Attribute?.Name is not null)
            .Select(m => (m.Method, m.Attribute!))
            .ToArray();

    private void OnDisconnected(object? sender, JsonRpcDisconnectedEventArgs e) =>
        ProtocolLog.ConnectionEnded(_logger, e.Reason.ToString(), e.Description, e.Exception);
}
