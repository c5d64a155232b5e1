namespace ScriptExec.Rpc.Tests.Protocol;

/// <summary>
/// A member name written twice in one object asks for two things at once; a parser keeping the last one acted on
/// <c>"method":"status","method":"script_delete"</c> as a delete. Refused: <c>-32600</c> naming the member in the
/// request object, <c>-32602</c> naming the field inside params; nothing is called.
/// </summary>
[TestFixture(TransportKind.Ndjson)]
[TestFixture(TransportKind.WebSocket)]
public sealed class DuplicateMemberTests(TransportKind transport)
{
    private const string Subtract = """{"jsonrpc": "2.0", "method": "subtract", "params": {"minuend": 42, "subtrahend": 23}, "id": 1}""";

    [Test]
    public async Task A_method_written_twice_is_an_invalid_request_naming_it_and_nothing_is_called()
    {
        var target = new SpecExampleTarget();
        await using var client = RpcTestClient.Start(transport, target);

        string reply = await client.CallAsync("""{"jsonrpc": "2.0", "id": 4, "method": "get_data", "method": "update", "params": {}}""");

        JsonAssert.AreEqual(reply, """
            {"jsonrpc": "2.0", "id": 4, "error": {"code": -32600, "message": "Invalid Request: member \"method\" appears more than once"}}
            """);
        JsonAssert.AreEqual(await client.CallAsync(Subtract), """{"jsonrpc": "2.0", "result": 19, "id": 1}""");
        Assert.That(target.Notifications, Is.Zero, "update was called");
    }

    [TestCase("""{"jsonrpc": "2.0", "id": 5, "id": 6, "method": "subtract", "params": {"minuend": 1, "subtrahend": 1}}""", "id")]
    [TestCase("""{"jsonrpc": "2.0", "jsonrpc": "2.0", "method": "subtract", "params": {}, "id": null}""", "jsonrpc")]
    [TestCase("""{"jsonrpc": "2.0", "method": "subtract", "params": {}, "params": {"minuend": 1, "subtrahend": 1}, "id": null}""", "params")]
    public async Task Any_member_of_the_request_written_twice_is_an_invalid_request_with_id_null_when_the_id_is_in_doubt(string request, string member)
    {
        await using var client = RpcTestClient.Start(transport);

        string reply = await client.CallAsync(request);

        JsonAssert.AreEqual(reply, $$$"""
            {"jsonrpc": "2.0", "id": null, "error": {"code": -32600, "message": "Invalid Request: member \"{{{member}}}\" appears more than once"}}
            """);
    }

    [TestCase("""{"minuend": 42, "minuend": 1, "subtrahend": 23}""", "minuend")]
    [TestCase("""{"minuend": 42, "subtrahend": 23, "filter": {"instances": [{"script_name": "a", "script_name": "b"}]}}""", "filter.instances[0].script_name")]
    [TestCase("""{"minuend": 42, "subtrahend": 23, "value": {"a": {"b": 1, "\u0062": 2}}}""", "value.a.b")]
    public async Task A_member_written_twice_inside_params_is_invalid_params_naming_the_field(string parameters, string field)
    {
        await using var client = RpcTestClient.Start(transport);

        string reply = await client.CallAsync($$"""{"jsonrpc": "2.0", "method": "subtract", "params": {{parameters}}, "id": 9}""");

        JsonAssert.AreEqual(reply, $$$"""
            {"jsonrpc": "2.0", "id": 9, "error": {"code": -32602, "message": "Invalid params: {{{field}}} appears more than once",
             "data": {"field": "{{{field}}}", "reason": "appears more than once"} } }
            """);
    }

    [Test]
    public async Task In_a_batch_only_the_member_with_a_duplicate_is_refused()
    {
        var target = new SpecExampleTarget();
        await using var client = RpcTestClient.Start(transport, target);

        string reply = await client.CallAsync("""
            [{"jsonrpc": "2.0", "method": "subtract", "params": {"minuend": 42, "subtrahend": 23}, "id": 1},
             {"jsonrpc": "2.0", "method": "update", "method": "get_data", "id": 2},
             {"jsonrpc": "2.0", "method": "subtract", "params": {"minuend": 1, "minuend": 2, "subtrahend": 0}, "id": 3}]
            """);

        JsonAssert.BatchEquivalent(reply, """
            [{"jsonrpc": "2.0", "result": 19, "id": 1},
             {"jsonrpc": "2.0", "id": 2, "error": {"code": -32600, "message": "Invalid Request: member \"method\" appears more than once"}},
             {"jsonrpc": "2.0", "id": 3, "error": {"code": -32602, "message": "Invalid params: minuend appears more than once",
              "data": {"field": "minuend", "reason": "appears more than once"}}}]
            """);
        Assert.That(target.Notifications, Is.Zero, "update was called");
    }
}
