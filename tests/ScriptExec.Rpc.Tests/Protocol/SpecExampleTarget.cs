using System.Text.Json;
using ScriptExec.Core;
using StreamJsonRpc;

namespace ScriptExec.Rpc.Tests.Protocol;

/// <summary>The methods of the JSON-RPC 2.0 specification's examples, by-name as this API takes them, plus failures on demand.</summary>
internal sealed class SpecExampleTarget
{
    private readonly TaskCompletionSource _gateReached = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _notifications;

    public int Notifications => Volatile.Read(ref _notifications);

    /// <summary>Gets the gate that <c>gated</c> calls wait for.</summary>
    public TaskCompletionSource Gate { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Gets a task that completes once a <c>gated</c> call has started waiting.</summary>
    public Task GateReached => _gateReached.Task;

    /// <summary>Not an RPC method: nothing without <see cref="JsonRpcMethodAttribute"/> may be reachable.</summary>
    public static int Hidden(int value) => value;

    [JsonRpcMethod("subtract", UseSingleObjectParameterDeserialization = true)]
    public static int Subtract(JsonElement p, CancellationToken cancellationToken) =>
        p.GetProperty("minuend").GetInt32() - p.GetProperty("subtrahend").GetInt32();

    [JsonRpcMethod("sum", UseSingleObjectParameterDeserialization = true)]
    public static int Sum(JsonElement p, CancellationToken cancellationToken) =>
        p.GetProperty("values").EnumerateArray().Sum(v => v.GetInt32());

    [JsonRpcMethod("get_data", UseSingleObjectParameterDeserialization = true)]
    public static object[] GetData(JsonElement p, CancellationToken cancellationToken) => ["hello", 5];

    [JsonRpcMethod("update", UseSingleObjectParameterDeserialization = true)]
    public void Update(JsonElement p, CancellationToken cancellationToken) => Interlocked.Increment(ref _notifications);

    [JsonRpcMethod("notify_hello", UseSingleObjectParameterDeserialization = true)]
    public void NotifyHello(JsonElement p, CancellationToken cancellationToken) => Interlocked.Increment(ref _notifications);

    [JsonRpcMethod("notify_sum", UseSingleObjectParameterDeserialization = true)]
    public void NotifySum(JsonElement p, CancellationToken cancellationToken) => Interlocked.Increment(ref _notifications);

    [JsonRpcMethod("gated", UseSingleObjectParameterDeserialization = true)]
    public async Task<string> GatedAsync(JsonElement p, CancellationToken cancellationToken)
    {
        _gateReached.TrySetResult();
        await Gate.Task.WaitAsync(cancellationToken);
        return "opened";
    }

    /// <summary>Echoes its params, to show what the front layer made of them.</summary>
    [JsonRpcMethod("echo", UseSingleObjectParameterDeserialization = true)]
    public static JsonElement Echo(JsonElement p, CancellationToken cancellationToken) => p;

    /// <summary>Returns a value JSON cannot carry, so that writing the response fails.</summary>
    [JsonRpcMethod("unserializable", UseSingleObjectParameterDeserialization = true)]
    public static double Unserializable(JsonElement p, CancellationToken cancellationToken) => double.NaN;

    /// <summary>Throws what <c>kind</c> names, after an await when <c>after_await</c> is true.</summary>
    [JsonRpcMethod("fail", UseSingleObjectParameterDeserialization = true)]
    public static async Task FailAsync(JsonElement p, CancellationToken cancellationToken)
    {
        if (p.TryGetProperty("after_await", out JsonElement afterAwait) && afterAwait.GetBoolean())
        {
            await Task.Yield();
        }

        throw Failure(p);
    }

    /// <summary>Throws what <c>kind</c> names from a plain method, which StreamJsonRpc invokes by reflection.</summary>
    [JsonRpcMethod("fail_now", UseSingleObjectParameterDeserialization = true)]
    public static void FailNow(JsonElement p, CancellationToken cancellationToken) => throw Failure(p);

    private static Exception Failure(JsonElement p)
    {
        string kind = p.GetProperty("kind").GetString()!;
        return kind switch
        {
            "invalid_parameter" => new InvalidParameterException("pagination.limit", "must be between -1000 and 1000 and non-zero"),
            "unexpected" => new InvalidOperationException("cannot open /var/lib/scriptexec/secret.db"),
            "storage_full" => new ScriptExecException(StorageFault.Full, "the store refused the write: storage full", null),
            _ => new ScriptExecException(Enum.Parse<ErrorKind>(kind), $"failed with {kind}"),
        };
    }
}
