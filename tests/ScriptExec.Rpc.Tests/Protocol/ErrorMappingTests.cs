using Microsoft.Extensions.Logging;
using ScriptExec.Core;

namespace ScriptExec.Rpc.Tests.Protocol;

/// <summary>How exceptions thrown by methods become errors on the wire.</summary>
[TestFixture(TransportKind.Ndjson)]
[TestFixture(TransportKind.WebSocket)]
public sealed class ErrorMappingTests(TransportKind transport)
{
    [TestCase(ThrownFrom.PlainMethod)]
    [TestCase(ThrownFrom.AsyncMethodBeforeAwait)]
    [TestCase(ThrownFrom.AsyncMethodAfterAwait)]
    public async Task Invalid_parameter_is_invalid_params_naming_the_field(ThrownFrom thrownFrom)
    {
        await using var client = RpcTestClient.Start(transport);

        string reply = await client.CallAsync(Fail("invalid_parameter", thrownFrom));

        JsonAssert.AreEqual(reply, """
            {"jsonrpc": "2.0", "id": 1, "error": {
              "code": -32602,
              "message": "Invalid params: pagination.limit must be between -1000 and 1000 and non-zero",
              "data": {"field": "pagination.limit", "reason": "must be between -1000 and 1000 and non-zero"}}}
            """);
    }

    [TestCase(ErrorKind.NotFound, 1001, "not_found", ThrownFrom.PlainMethod)]
    [TestCase(ErrorKind.NotFound, 1001, "not_found", ThrownFrom.AsyncMethodBeforeAwait)]
    [TestCase(ErrorKind.AlreadyRunning, 1002, "already_running", ThrownFrom.AsyncMethodAfterAwait)]
    [TestCase(ErrorKind.NotRunning, 1003, "not_running", ThrownFrom.AsyncMethodAfterAwait)]
    [TestCase(ErrorKind.Forbidden, 1004, "forbidden", ThrownFrom.AsyncMethodAfterAwait)]
    [TestCase(ErrorKind.Capacity, 1005, "capacity", ThrownFrom.AsyncMethodAfterAwait)]
    [TestCase(ErrorKind.Conflict, 1006, "conflict", ThrownFrom.AsyncMethodAfterAwait)]
    public async Task Application_errors_have_their_stable_code_and_reason(ErrorKind kind, int code, string reason, ThrownFrom thrownFrom)
    {
        await using var client = RpcTestClient.Start(transport);

        string reply = await client.CallAsync(Fail(kind.ToString(), thrownFrom));

        JsonAssert.AreEqual(reply, $$"""
            {"jsonrpc": "2.0", "id": 1, "error": {"code": {{code}}, "message": "failed with {{kind}}", "data": {"reason": "{{reason}}"} } }
            """);
    }

    [TestCase(ThrownFrom.PlainMethod)]
    [TestCase(ThrownFrom.AsyncMethodAfterAwait)]
    public async Task A_write_the_store_refused_is_unavailable_naming_the_storage_condition(ThrownFrom thrownFrom)
    {
        await using var client = RpcTestClient.Start(transport);

        string reply = await client.CallAsync(Fail("storage_full", thrownFrom));

        JsonAssert.AreEqual(reply, """
            {"jsonrpc": "2.0", "id": 1, "error": {"code": 1007, "message": "the store refused the write: storage full",
              "data": {"reason": "unavailable", "storage": "full"}}}
            """);
    }

    [TestCase(ThrownFrom.PlainMethod)]
    [TestCase(ThrownFrom.AsyncMethodBeforeAwait)]
    [TestCase(ThrownFrom.AsyncMethodAfterAwait)]
    public async Task An_unexpected_exception_is_an_internal_error_that_reveals_nothing(ThrownFrom thrownFrom)
    {
        var logger = new ListLogger();
        await using var client = RpcTestClient.Start(transport, logger: logger);

        string reply = await client.CallAsync(Fail("unexpected", thrownFrom));

        JsonAssert.AreEqual(reply, """{"jsonrpc": "2.0", "id": 1, "error": {"code": -32603, "message": "Internal error"}}""");
        Assert.That(reply, Does.Not.Contain(" at ").And.Not.Contain("Exception").And.Not.Contain("/var/lib"));
        Assert.That(logger.Errors, Has.Some.Contains("/var/lib/scriptexec/secret.db"), "the details belong in the log");
    }

    [Test]
    public async Task A_method_failing_on_its_params_is_an_internal_error_without_details()
    {
        await using var client = RpcTestClient.Start(transport);

        string reply = await client.CallAsync("""{"jsonrpc": "2.0", "method": "subtract", "params": {"minuend": "x"}, "id": 1}""");

        JsonAssert.AreEqual(reply, """{"jsonrpc": "2.0", "id": 1, "error": {"code": -32603, "message": "Internal error"}}""");
    }

    [Test]
    public async Task A_result_that_cannot_be_serialized_is_an_internal_error()
    {
        await using var client = RpcTestClient.Start(transport);

        string reply = await client.CallAsync("""{"jsonrpc": "2.0", "method": "unserializable", "id": "u"}""");

        JsonAssert.AreEqual(reply, """{"jsonrpc": "2.0", "id": "u", "error": {"code": -32603, "message": "Internal error"}}""");
    }

    public enum ThrownFrom
    {
        PlainMethod,
        AsyncMethodBeforeAwait,
        AsyncMethodAfterAwait,
    }

    private static string Fail(string kind, ThrownFrom thrownFrom) => thrownFrom switch
    {
        ThrownFrom.PlainMethod => $$"""{"jsonrpc": "2.0", "method": "fail_now", "params": {"kind": "{{kind}}"}, "id": 1}""",
        ThrownFrom.AsyncMethodBeforeAwait => $$"""{"jsonrpc": "2.0", "method": "fail", "params": {"kind": "{{kind}}"}, "id": 1}""",
        _ => $$"""{"jsonrpc": "2.0", "method": "fail", "params": {"kind": "{{kind}}", "after_await": true}, "id": 1}""",
    };

    private sealed class ListLogger : ILogger
    {
        private readonly List<string> _errors = [];

        public IReadOnlyList<string> Errors
        {
            get
            {
                lock (_errors)
                {
                    return [.. _errors];
                }
            }
        }

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel >= LogLevel.Error)
            {
                lock (_errors)
                {
                    _errors.Add($"{formatter(state, exception)} {exception}");
                }
            }
        }
    }
}
