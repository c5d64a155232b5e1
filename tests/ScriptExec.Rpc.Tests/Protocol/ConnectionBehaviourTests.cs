using System.Net.WebSockets;
using System.Text;

namespace ScriptExec.Rpc.Tests.Protocol;

/// <summary>What the front layer adds beyond the specification's examples: ids, limits, connection lifetime.</summary>
[TestFixture(TransportKind.Ndjson)]
[TestFixture(TransportKind.WebSocket)]
public sealed class ConnectionBehaviourTests(TransportKind transport)
{
    private const string Subtract = """{"jsonrpc": "2.0", "method": "subtract", "params": {"minuend": 42, "subtrahend": 23}, "id": 1}""";

    [Test]
    public async Task Connection_stays_open_after_a_parse_error()
    {
        await using var client = RpcTestClient.Start(transport);

        string parseError = await client.CallAsync("{not json");
        string reply = await client.CallAsync(Subtract);

        JsonAssert.AreEqual(parseError, """{"jsonrpc": "2.0", "error": {"code": -32700, "message": "Parse error"}, "id": null}""");
        JsonAssert.AreEqual(reply, """{"jsonrpc": "2.0", "result": 19, "id": 1}""");
    }

    [TestCase("1.5")]
    [TestCase("1.50")]
    [TestCase("1e3")]
    [TestCase("-0")]
    [TestCase("123456789012345678901234567890")]
    [TestCase("\"abc\"")]
    [TestCase("\"a\\u0062c \\\"quoted\\\" \u00e9\"")]
    [TestCase("\"\"")]
    [TestCase("null")]
    public async Task Any_valid_id_is_echoed_exactly_as_written(string id)
    {
        await using var client = RpcTestClient.Start(transport);

        string reply = await client.CallAsync($$"""{"jsonrpc": "2.0", "method": "subtract", "params": {"minuend": 2, "subtrahend": 1}, "id": {{id}}}""");

        Assert.That(JsonAssert.RawId(reply), Is.EqualTo(id));
        JsonAssert.AreEqual(reply, $$"""{"jsonrpc": "2.0", "result": 1, "id": {{id}}}""");
    }

    [TestCase("1.5")]
    [TestCase("\"x\"")]
    [TestCase("null")]
    public async Task Errors_echo_the_id_exactly_too(string id)
    {
        await using var client = RpcTestClient.Start(transport);

        string unknown = await client.CallAsync($$"""{"jsonrpc": "2.0", "method": "foobar", "id": {{id}}}""");
        string invalid = await client.CallAsync($$"""{"jsonrpc": "1.0", "method": "subtract", "id": {{id}}}""");

        Assert.That(JsonAssert.RawId(unknown), Is.EqualTo(id));
        Assert.That(JsonAssert.RawId(invalid), Is.EqualTo(id));
    }

    [TestCase("""{"jsonrpc": "2.0", "method": "subtract", "id": {"a": 1}}""")]
    [TestCase("""{"jsonrpc": "2.0", "method": "subtract", "id": [1]}""")]
    [TestCase("""{"jsonrpc": "2.0", "method": "subtract", "id": true}""")]
    [TestCase("""{"method": "subtract", "id": 1}""")]
    [TestCase("""{"jsonrpc": 2.0, "method": "subtract", "id": 1}""")]
    [TestCase("""{"jsonrpc": "2.0", "id": 1}""")]
    [TestCase("""{"jsonrpc": "2.0", "method": "subtract", "params": 5, "id": 1}""")]
    [TestCase("""{"jsonrpc": "2.0", "method": "subtract", "params": null, "id": 1}""")]
    [TestCase("""{"jsonrpc": "2.0", "result": 19, "id": 1}""")]
    [TestCase("""{"jsonrpc": "2.0", "method": "\ud800", "id": 1}""")]
    [TestCase("\"just a string\"")]
    [TestCase("42")]
    public async Task Anything_but_a_request_object_is_an_invalid_request(string message)
    {
        await using var client = RpcTestClient.Start(transport);

        string reply = await client.CallAsync(message);

        Assert.That(reply, Does.Contain("\"code\":-32600"));
    }

    [Test]
    public async Task A_request_with_a_null_id_is_answered_not_treated_as_a_notification()
    {
        await using var client = RpcTestClient.Start(transport);

        string reply = await client.CallAsync("""{"jsonrpc": "2.0", "method": "get_data", "id": null}""");

        JsonAssert.AreEqual(reply, """{"jsonrpc": "2.0", "result": ["hello", 5], "id": null}""");
    }

    [Test]
    public async Task Duplicate_ids_in_a_batch_each_get_their_own_reply()
    {
        await using var client = RpcTestClient.Start(transport);

        string reply = await client.CallAsync("""
            [
              {"jsonrpc": "2.0", "method": "subtract", "params": {"minuend": 42, "subtrahend": 23}, "id": 7},
              {"jsonrpc": "2.0", "method": "subtract", "params": {"minuend": 10, "subtrahend": 3}, "id": 7},
              {"jsonrpc": "2.0", "method": "foobar", "id": 7}
            ]
            """);

        JsonAssert.BatchEquivalent(reply, """
            [
              {"jsonrpc": "2.0", "result": 19, "id": 7},
              {"jsonrpc": "2.0", "result": 7, "id": 7},
              {"jsonrpc": "2.0", "error": {"code": -32601, "message": "Method not found"}, "id": 7}
            ]
            """);
    }

    [Test]
    public async Task A_batch_is_answered_once_all_its_requests_are()
    {
        var target = new SpecExampleTarget();
        await using var client = RpcTestClient.Start(transport, target);

        await client.SendAsync("""
            [
              {"jsonrpc": "2.0", "method": "gated", "id": 1},
              {"jsonrpc": "2.0", "method": "subtract", "params": {"minuend": 2, "subtrahend": 1}, "id": 2}
            ]
            """);
        Task<string> reply = client.ReceiveReplyAsync();
        target.Gate.SetResult();

        JsonAssert.BatchEquivalent(await reply, """
            [
              {"jsonrpc": "2.0", "result": "opened", "id": 1},
              {"jsonrpc": "2.0", "result": 1, "id": 2}
            ]
            """);
    }

    [Test]
    public async Task Reading_pauses_while_too_many_requests_are_unanswered()
    {
        var target = new SpecExampleTarget();
        await using var client = RpcTestClient.Start(transport, target, maxUnansweredRequests: 1);

        await client.SendAsync("""{"jsonrpc": "2.0", "method": "gated", "id": 1}""");
        await client.SendAsync("""{"jsonrpc": "2.0", "method": "get_data", "id": 2}""");
        await target.GateReached.WaitAsync(TimeSpan.FromSeconds(10));
        target.Gate.SetResult();
        string first = await client.ReceiveReplyAsync();
        string second = await client.ReceiveReplyAsync();

        // Without the pause, get_data would answer while gated still waits.
        JsonAssert.AreEqual(first, """{"jsonrpc": "2.0", "result": "opened", "id": 1}""");
        JsonAssert.AreEqual(second, """{"jsonrpc": "2.0", "result": ["hello", 5], "id": 2}""");
    }

    [TestCase("Hidden")]
    [TestCase("Subtract")]
    [TestCase("get_Notifications")]
    [TestCase("ToString")]
    public async Task Only_methods_marked_with_a_name_are_reachable(string method)
    {
        await using var client = RpcTestClient.Start(transport);

        string reply = await client.CallAsync($$"""{"jsonrpc": "2.0", "method": "{{method}}", "params": [1], "id": 1}""");

        JsonAssert.AreEqual(reply, """{"jsonrpc": "2.0", "error": {"code": -32601, "message": "Method not found"}, "id": 1}""");
    }

    [TestCase("", "{}")]
    [TestCase(""", "params": []""", "{}")]
    [TestCase(""", "params": {}""", "{}")]
    [TestCase(""", "params": [{"a": 1}]""", """{"a": 1}""")]
    [TestCase(""", "params": {"a": [1, {"b": null}]}""", """{"a": [1, {"b": null}]}""")]
    public async Task Params_reach_the_method_as_one_named_object(string paramsMember, string expected)
    {
        await using var client = RpcTestClient.Start(transport);

        string reply = await client.CallAsync($$"""{"jsonrpc": "2.0", "method": "echo"{{paramsMember}}, "id": 1}""");

        JsonAssert.AreEqual(reply, $$"""{"jsonrpc": "2.0", "result": {{expected}}, "id": 1}""");
    }

    [TestCase("$/cancelRequest")]
    [TestCase("rpc.discover")]
    public async Task Reserved_method_names_are_not_found(string method)
    {
        await using var client = RpcTestClient.Start(transport);

        string reply = await client.CallAsync($$"""{"jsonrpc": "2.0", "method": "{{method}}", "params": {"id": 1}, "id": 1}""");

        JsonAssert.AreEqual(reply, """{"jsonrpc": "2.0", "error": {"code": -32601, "message": "Method not found"}, "id": 1}""");
    }

    [Test]
    public async Task A_batch_over_the_member_cap_is_one_invalid_request()
    {
        await using var client = RpcTestClient.Start(transport);
        string members = string.Join(",", Enumerable.Repeat("""{"jsonrpc":"2.0","method":"notify_hello"}""", 1001));

        string reply = await client.CallAsync($"[{members}]");

        JsonAssert.AreEqual(reply, """{"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request: batch exceeds 1000 members"}, "id": null}""");
    }

    [Test]
    public async Task A_message_over_the_size_limit_is_refused_and_the_connection_closed()
    {
        await using var client = RpcTestClient.Start(transport, maxMessageBytes: 1024);
        string oversized = $$"""{"jsonrpc": "2.0", "method": "echo", "params": {"pad": "{{new string('x', 2048)}}"}, "id": 1}""";

        // The server stops reading mid-message, so this send may never complete; the reply is what matters.
        _ = client.SendAsync(oversized).ContinueWith(static _ => { }, TaskScheduler.Default);
        string reply = await client.ReceiveReplyAsync();
        string? afterwards = await client.ReceiveAsync();

        JsonAssert.AreEqual(reply, """{"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request: message exceeds 1024 bytes"}, "id": null}""");
        Assert.That(afterwards, Is.Null, "the connection should be closed");
        if (transport == TransportKind.WebSocket)
        {
            Assert.That(client.CloseStatus, Is.EqualTo(WebSocketCloseStatus.MessageTooBig));
        }

        await client.WaitUntilServingEndedAsync();
    }

    [Test]
    public async Task A_message_exactly_at_the_size_limit_is_accepted()
    {
        await using var client = RpcTestClient.Start(transport, maxMessageBytes: 1024);
        string shell = """{"jsonrpc": "2.0", "method": "echo", "params": {"pad": ""}, "id": 1}""";
        string padding = new('x', 1024 - Encoding.UTF8.GetByteCount(shell));
        string exact = $$"""{"jsonrpc": "2.0", "method": "echo", "params": {"pad": "{{padding}}"}, "id": 1}""";

        string reply = await client.CallAsync(exact);

        JsonAssert.AreEqual(reply, $$"""{"jsonrpc": "2.0", "result": {"pad": "{{padding}}"}, "id": 1}""");
    }

    [Test]
    public async Task The_server_can_send_notifications()
    {
        await using var client = RpcTestClient.Start(transport);

        await client.Connection.Rpc.NotifyWithParameterObjectAsync("execution_changed", new { ExecutionId = 5, State = "running" });
        string notification = await client.ReceiveReplyAsync();

        JsonAssert.AreEqual(notification, """{"jsonrpc": "2.0", "method": "execution_changed", "params": {"execution_id": 5, "state": "running"}}""");
    }
}
