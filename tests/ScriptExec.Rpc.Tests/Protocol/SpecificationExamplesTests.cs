namespace ScriptExec.Rpc.Tests.Protocol;

/// <summary>
/// The fifteen examples of the JSON-RPC 2.0 specification (jsonrpc.org/specification#examples), on each transport.
/// </summary>
/// <remarks>
/// Every method of this API takes one by-name params object, so by-position params other than <c>[{...}]</c> are
/// answered with <c>-32602</c>; each example that uses them is run as written (expecting that) and in by-name form
/// (expecting the specification's own reply).
/// </remarks>
[TestFixture(TransportKind.Ndjson)]
[TestFixture(TransportKind.WebSocket)]
public sealed class SpecificationExamplesTests(TransportKind transport)
{
    private const string ParamsMustBeNamed =
        """{"code": -32602, "message": "Invalid params: params must be an object of named parameters", "data": {"field": "params", "reason": "must be an object of named parameters"}}""";

    private const string Probe = """{"jsonrpc": "2.0", "method": "subtract", "params": {"minuend": 1, "subtrahend": 1}, "id": "probe"}""";

    [TestCase("""[42, 23]""", 1)]
    [TestCase("""[23, 42]""", 2)]
    public async Task Rpc_call_with_positional_parameters_is_refused_as_not_by_name(string parameters, int id)
    {
        await using var client = RpcTestClient.Start(transport);

        string reply = await client.CallAsync($$"""{"jsonrpc": "2.0", "method": "subtract", "params": {{parameters}}, "id": {{id}}}""");

        JsonAssert.AreEqual(reply, $$"""{"jsonrpc": "2.0", "error": {{ParamsMustBeNamed}}, "id": {{id}}}""");
    }

    [TestCase("""[{"minuend": 42, "subtrahend": 23}]""", 1, 19)]
    [TestCase("""[{"minuend": 23, "subtrahend": 42}]""", 2, -19)]
    public async Task Rpc_call_with_one_positional_object_uses_it_as_the_named_parameters(string parameters, int id, int result)
    {
        await using var client = RpcTestClient.Start(transport);

        string reply = await client.CallAsync($$"""{"jsonrpc": "2.0", "method": "subtract", "params": {{parameters}}, "id": {{id}}}""");

        JsonAssert.AreEqual(reply, $$"""{"jsonrpc": "2.0", "result": {{result}}, "id": {{id}}}""");
    }

    [TestCase("""{"subtrahend": 23, "minuend": 42}""", 3)]
    [TestCase("""{"minuend": 42, "subtrahend": 23}""", 4)]
    public async Task Rpc_call_with_named_parameters_returns_the_result(string parameters, int id)
    {
        await using var client = RpcTestClient.Start(transport);

        string reply = await client.CallAsync($$"""{"jsonrpc": "2.0", "method": "subtract", "params": {{parameters}}, "id": {{id}}}""");

        JsonAssert.AreEqual(reply, $$"""{"jsonrpc": "2.0", "result": 19, "id": {{id}}}""");
    }

    [TestCase("""{"jsonrpc": "2.0", "method": "update", "params": [1,2,3,4,5]}""", 0)]
    [TestCase("""{"jsonrpc": "2.0", "method": "update", "params": [{"values": [1,2,3,4,5]}]}""", 1)]
    [TestCase("""{"jsonrpc": "2.0", "method": "foobar"}""", 0)]
    public async Task A_notification_gets_no_reply(string notification, int invoked)
    {
        var target = new SpecExampleTarget();
        await using var client = RpcTestClient.Start(transport, target);

        await client.SendAsync(notification);
        string reply = await client.CallAsync(Probe);

        // The probe goes out only after the notification was handled: StreamJsonRpc dispatches in order.
        JsonAssert.AreEqual(reply, """{"jsonrpc": "2.0", "result": 0, "id": "probe"}""");
        Assert.That(target.Notifications, Is.EqualTo(invoked));
    }

    [Test]
    public async Task Rpc_call_of_non_existent_method_returns_method_not_found()
    {
        await using var client = RpcTestClient.Start(transport);

        string reply = await client.CallAsync("""{"jsonrpc": "2.0", "method": "foobar", "id": "1"}""");

        JsonAssert.AreEqual(reply, """{"jsonrpc": "2.0", "error": {"code": -32601, "message": "Method not found"}, "id": "1"}""");
    }

    [Test]
    public async Task Rpc_call_with_invalid_JSON_returns_parse_error()
    {
        await using var client = RpcTestClient.Start(transport);

        string reply = await client.CallAsync("""{"jsonrpc": "2.0", "method": "foobar, "params": "bar", "baz]""");

        JsonAssert.AreEqual(reply, """{"jsonrpc": "2.0", "error": {"code": -32700, "message": "Parse error"}, "id": null}""");
    }

    [Test]
    public async Task Rpc_call_with_invalid_request_object_returns_invalid_request()
    {
        await using var client = RpcTestClient.Start(transport);

        string reply = await client.CallAsync("""{"jsonrpc": "2.0", "method": 1, "params": "bar"}""");

        JsonAssert.AreEqual(reply, """{"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null}""");
    }

    [Test]
    public async Task Rpc_call_batch_with_invalid_JSON_returns_one_parse_error()
    {
        await using var client = RpcTestClient.Start(transport);

        string reply = await client.CallAsync("""
            [
              {"jsonrpc": "2.0", "method": "sum", "params": [1,2,4], "id": "1"},
              {"jsonrpc": "2.0", "method"
            ]
            """);

        JsonAssert.AreEqual(reply, """{"jsonrpc": "2.0", "error": {"code": -32700, "message": "Parse error"}, "id": null}""");
    }

    [Test]
    public async Task Rpc_call_with_an_empty_array_returns_one_invalid_request()
    {
        await using var client = RpcTestClient.Start(transport);

        string reply = await client.CallAsync("[]");

        JsonAssert.AreEqual(reply, """{"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null}""");
    }

    [Test]
    public async Task Rpc_call_with_an_invalid_batch_but_not_empty_returns_an_array_of_one_error()
    {
        await using var client = RpcTestClient.Start(transport);

        string reply = await client.CallAsync("[1]");

        JsonAssert.AreEqual(reply, """[{"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null}]""");
    }

    [Test]
    public async Task Rpc_call_with_an_invalid_batch_returns_an_error_per_member()
    {
        await using var client = RpcTestClient.Start(transport);

        string reply = await client.CallAsync("[1,2,3]");

        JsonAssert.AreEqual(reply, """
            [
              {"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null},
              {"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null},
              {"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null}
            ]
            """);
    }

    [Test]
    public async Task Rpc_call_batch_as_written_refuses_its_positional_parameters()
    {
        await using var client = RpcTestClient.Start(transport);

        string reply = await client.CallAsync("""
            [
              {"jsonrpc": "2.0", "method": "sum", "params": [1,2,4], "id": "1"},
              {"jsonrpc": "2.0", "method": "notify_hello", "params": [7]},
              {"jsonrpc": "2.0", "method": "subtract", "params": [42,23], "id": "2"},
              {"foo": "boo"},
              {"jsonrpc": "2.0", "method": "foo.get", "params": {"name": "myself"}, "id": "5"},
              {"jsonrpc": "2.0", "method": "get_data", "id": "9"}
            ]
            """);

        JsonAssert.BatchEquivalent(reply, $$"""
            [
              {"jsonrpc": "2.0", "error": {{ParamsMustBeNamed}}, "id": "1"},
              {"jsonrpc": "2.0", "error": {{ParamsMustBeNamed}}, "id": "2"},
              {"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null},
              {"jsonrpc": "2.0", "error": {"code": -32601, "message": "Method not found"}, "id": "5"},
              {"jsonrpc": "2.0", "result": ["hello", 5], "id": "9"}
            ]
            """);
    }

    [Test]
    public async Task Rpc_call_batch_by_name_returns_the_specifications_replies()
    {
        await using var client = RpcTestClient.Start(transport);

        string reply = await client.CallAsync("""
            [
              {"jsonrpc": "2.0", "method": "sum", "params": {"values": [1,2,4]}, "id": "1"},
              {"jsonrpc": "2.0", "method": "notify_hello", "params": {"value": 7}},
              {"jsonrpc": "2.0", "method": "subtract", "params": [{"minuend": 42, "subtrahend": 23}], "id": "2"},
              {"foo": "boo"},
              {"jsonrpc": "2.0", "method": "foo.get", "params": {"name": "myself"}, "id": "5"},
              {"jsonrpc": "2.0", "method": "get_data", "id": "9"}
            ]
            """);

        JsonAssert.BatchEquivalent(reply, """
            [
              {"jsonrpc": "2.0", "result": 7, "id": "1"},
              {"jsonrpc": "2.0", "result": 19, "id": "2"},
              {"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null},
              {"jsonrpc": "2.0", "error": {"code": -32601, "message": "Method not found"}, "id": "5"},
              {"jsonrpc": "2.0", "result": ["hello", 5], "id": "9"}
            ]
            """);
    }

    [TestCase("""[{"jsonrpc": "2.0", "method": "notify_sum", "params": [1,2,4]}, {"jsonrpc": "2.0", "method": "notify_hello", "params": [7]}]""", 0)]
    [TestCase("""[{"jsonrpc": "2.0", "method": "notify_sum", "params": {"values": [1,2,4]}}, {"jsonrpc": "2.0", "method": "notify_hello", "params": {"value": 7}}]""", 2)]
    public async Task Rpc_call_batch_of_notifications_returns_nothing(string batch, int invoked)
    {
        var target = new SpecExampleTarget();
        await using var client = RpcTestClient.Start(transport, target);

        await client.SendAsync(batch);
        string reply = await client.CallAsync(Probe);

        JsonAssert.AreEqual(reply, """{"jsonrpc": "2.0", "result": 0, "id": "probe"}""");
        Assert.That(target.Notifications, Is.EqualTo(invoked));
    }
}
