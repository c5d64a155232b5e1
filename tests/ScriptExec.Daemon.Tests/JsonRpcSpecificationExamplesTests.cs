using System.Text.Json.Nodes;
using ScriptExec.Daemon.Tests.Support;

namespace ScriptExec.Daemon.Tests;

/// <summary>
/// The 15 examples of the JSON-RPC 2.0 specification (jsonrpc.org/specification#examples), mapped onto our
/// methods: the example's valid calls become <c>status</c> / <c>script_overview_get</c> (positional params as the
/// empty or single-object array our by-name methods accept), its unknown names stay unknown.
/// </summary>
public sealed class JsonRpcSpecificationExamplesTests : TransportFixture
{
    public JsonRpcSpecificationExamplesTests(string transport)
        : base(transport)
    {
    }

    [TestCase("""{"jsonrpc": "2.0", "method": "status", "params": [], "id": 1}""", 1, TestName = "01 rpc call with positional parameters")]
    [TestCase("""{"jsonrpc": "2.0", "method": "script_overview_get", "params": [{}], "id": 2}""", 2, TestName = "02 rpc call with positional parameters (single object)")]
    [TestCase("""{"jsonrpc": "2.0", "method": "status", "params": {}, "id": 3}""", 3, TestName = "03 rpc call with named parameters")]
    [TestCase("""{"jsonrpc": "2.0", "method": "script_execution_get", "params": {"pagination": {"limit": -1}}, "id": 4}""", 4, TestName = "04 rpc call with named parameters (pagination)")]
    public async Task Valid_call_gets_a_result_with_its_id(string request, int id)
    {
        var reply = (await Client.SendRawAsync(request))!.AsObject();

        Assert.Multiple(() =>
        {
            Assert.That(reply["jsonrpc"]!.GetValue<string>(), Is.EqualTo("2.0"));
            Assert.That(reply["id"]!.GetValue<int>(), Is.EqualTo(id));
            Assert.That(reply["result"], Is.Not.Null);
            Assert.That(reply["error"], Is.Null);
        });
    }

    [TestCase("""{"jsonrpc": "2.0", "method": "status", "params": {}}""", TestName = "05 a notification")]
    [TestCase("""{"jsonrpc": "2.0", "method": "script_overview_get"}""", TestName = "06 a notification without params")]
    [TestCase("""[{"jsonrpc": "2.0", "method": "status", "params": [1,2,4]}, {"jsonrpc": "2.0", "method": "script_overview_get", "params": [7]}]""",
        TestName = "15 rpc call batch (all notifications)")]
    public async Task Notification_gets_no_reply(string notification)
    {
        await Client.SendOnlyAsync(notification);

        await AssertNextReplyIsForProbeAsync();
    }

    [Test(Description = "07 rpc call of non-existent method")]
    public async Task Non_existent_method_is_method_not_found()
    {
        var reply = (await Client.SendRawAsync("""{"jsonrpc": "2.0", "method": "foobar", "id": "1"}"""))!;

        AssertError(reply, -32601, "1");
    }

    [Test(Description = "08 rpc call with invalid JSON")]
    public async Task Invalid_json_is_a_parse_error_and_the_connection_stays_open()
    {
        var reply = (await Client.SendRawAsync("""{"jsonrpc": "2.0", "method": "foobar, "params": "bar", "baz]"""))!;

        AssertError(reply, -32700, null);
        await AssertNextReplyIsForProbeAsync();
    }

    [Test(Description = "09 rpc call with invalid Request object")]
    public async Task Invalid_request_object_is_invalid_request()
    {
        var reply = (await Client.SendRawAsync("""{"jsonrpc": "2.0", "method": 1, "params": "bar"}"""))!;

        AssertError(reply, -32600, null);
    }

    [Test(Description = "10 rpc call Batch, invalid JSON")]
    public async Task Batch_with_invalid_json_is_one_parse_error()
    {
        var reply = (await Client.SendRawAsync(
            """[{"jsonrpc": "2.0", "method": "status", "params": [1,2,4], "id": "1"},{"jsonrpc": "2.0", "method" ]"""))!;

        AssertError(reply, -32700, null);
        await AssertNextReplyIsForProbeAsync();
    }

    [Test(Description = "11 rpc call with an empty Array")]
    public async Task Empty_batch_is_one_invalid_request()
    {
        var reply = (await Client.SendRawAsync("[]"))!;

        AssertError(reply, -32600, null);
    }

    [Test(Description = "12 rpc call with an invalid Batch (but not empty)")]
    public async Task Batch_of_one_non_object_is_an_array_of_one_invalid_request()
    {
        var reply = (await Client.SendRawAsync("[1]"))!.AsArray();

        Assert.That(reply, Has.Count.EqualTo(1));
        AssertError(reply[0]!, -32600, null);
    }

    [Test(Description = "13 rpc call with invalid Batch")]
    public async Task Batch_of_three_non_objects_is_three_invalid_requests()
    {
        var reply = (await Client.SendRawAsync("[1,2,3]"))!.AsArray();

        Assert.That(reply, Has.Count.EqualTo(3));
        foreach (var item in reply)
        {
            AssertError(item!, -32600, null);
        }
    }

    [Test(Description = "14 rpc call Batch")]
    public async Task Mixed_batch_answers_every_request_and_omits_notifications()
    {
        var reply = (await Client.SendRawAsync("""
            [
                {"jsonrpc": "2.0", "method": "status", "params": [], "id": "1"},
                {"jsonrpc": "2.0", "method": "status", "params": [{}]},
                {"jsonrpc": "2.0", "method": "script_overview_get", "params": [], "id": "2"},
                {"foo": "boo"},
                {"jsonrpc": "2.0", "method": "foo.get", "params": {"name": "myself"}, "id": "5"},
                {"jsonrpc": "2.0", "method": "status", "id": "9"}
            ]
            """.ReplaceLineEndings(" ")))!.AsArray();

        var byId = reply.ToLookup(r => r!["id"]?.GetValue<string>() ?? "null");
        Assert.Multiple(() =>
        {
            Assert.That(reply, Has.Count.EqualTo(5));
            Assert.That(byId["1"].Single()!["result"], Is.Not.Null);
            Assert.That(byId["2"].Single()!["result"]!["scripts"], Is.Not.Null);
            Assert.That(byId["9"].Single()!["result"], Is.Not.Null);
        });
        AssertError(byId["null"].Single()!, -32600, null);
        AssertError(byId["5"].Single()!, -32601, "5");
    }

    [TestCase("\"abc\"", TestName = "Ids: string echoed")]
    [TestCase("1.5", TestName = "Ids: fractional number echoed")]
    [TestCase("null", TestName = "Ids: null is still a request")]
    [TestCase("123456789012345678901234567890", TestName = "Ids: huge number echoed")]
    public async Task Request_id_is_echoed_exactly(string id)
    {
        var reply = (await Client.SendRawAsync($$"""{"jsonrpc": "2.0", "method": "status", "id": {{id}}}"""))!;

        Assert.That(reply["id"]?.ToJsonString() ?? "null", Is.EqualTo(id));
    }

    [Test]
    public async Task Positional_params_other_than_one_object_name_the_params_field()
    {
        var reply = (await Client.SendRawAsync("""{"jsonrpc": "2.0", "method": "status", "params": [1, 2], "id": 7}"""))!;

        AssertError(reply, -32602, null, expectId: false);
        Assert.That(reply["error"]!["data"]!["field"]!.GetValue<string>(), Is.EqualTo("params"));
    }

    [Test]
    public async Task Error_replies_carry_no_stack_trace_type_or_path()
    {
        var reply = await Client.CallRawAsync("script_execution_get", new { pagination = new { limit = 5 }, filter = new { states = new[] { "bogus" } } });

        var text = reply.ToJsonString();
        Assert.That(text, Does.Not.Contain(" at ").And.Not.Contain("/work/").And.Not.Contain("Exception"));
    }

    private static void AssertError(JsonNode reply, int code, string? id, bool expectId = true)
    {
        Assert.Multiple(() =>
        {
            Assert.That(reply["jsonrpc"]!.GetValue<string>(), Is.EqualTo("2.0"));
            Assert.That(reply["error"]!["code"]!.GetValue<int>(), Is.EqualTo(code), reply.ToJsonString());
            Assert.That(reply["error"]!["message"]!.GetValue<string>(), Is.Not.Empty);
            Assert.That(reply["result"], Is.Null);
            if (expectId)
            {
                Assert.That(reply["id"]?.GetValue<string>(), Is.EqualTo(id));
            }
        });
    }

    private async Task AssertNextReplyIsForProbeAsync()
    {
        for (var probe = 0; probe < 2; probe++)
        {
            var reply = await Client.CallRawAsync("status");
            Assert.That(reply["result"], Is.Not.Null);
        }

        Assert.That(Client.HasPendingReply, Is.False, "a reply arrived for a message that must not be answered");
    }
}
