using System.IO.Pipelines;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Nerdbank.Streams;
using ScriptExec.Rpc.Protocol;

namespace ScriptExec.Rpc.Tests.Protocol;

/// <summary>
/// Input no client should send, each answered as what it is, with the connection kept open: bytes that are not
/// UTF-8, escaped lone surrogates (valid JSON that System.Text.Json will not decode), nesting beyond the parser's depth.
/// </summary>
[TestFixture(TransportKind.Ndjson)]
[TestFixture(TransportKind.WebSocket)]
public sealed class JunkInputTests(TransportKind transport)
{
    private const string Subtract = """{"jsonrpc": "2.0", "method": "subtract", "params": {"minuend": 42, "subtrahend": 23}, "id": 1}""";
    private const string ParseError = """{"jsonrpc": "2.0", "error": {"code": -32700, "message": "Parse error"}, "id": null}""";

    [Test]
    public async Task A_lone_surrogate_escape_as_the_version_is_an_invalid_request()
    {
        await using var client = RpcTestClient.Start(transport);

        string reply = await client.CallAsync("""{"jsonrpc": "\ud800", "method": "subtract", "id": 7}""");

        JsonAssert.AreEqual(reply, """{"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": 7}""");
        JsonAssert.AreEqual(await client.CallAsync(Subtract), """{"jsonrpc": "2.0", "result": 19, "id": 1}""");
    }

    [TestCase("""{"jsonrpc": "2.0", "method": "subtract", "para\ud800ms": {}, "id": 3}""")]
    [TestCase("""{"p\udfffarams": {}, "jsonrpc": "2.0", "method": "subtract", "id": 3}""")]
    public async Task A_lone_surrogate_escape_in_a_member_name_is_an_invalid_request(string request)
    {
        await using var client = RpcTestClient.Start(transport);

        string reply = await client.CallAsync(request);

        JsonAssert.AreEqual(reply, """{"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": 3}""");
        JsonAssert.AreEqual(await client.CallAsync(Subtract), """{"jsonrpc": "2.0", "result": 19, "id": 1}""");
    }

    [TestCase("""{"text": "\ud800"}""")]
    [TestCase("""{"text": "ok \udfff\ud800"}""")]
    [TestCase("""{"\ud83d": 1}""")]
    [TestCase("""{"deep": [{"x": ["\uDBFF"]}]}""")]
    public async Task A_lone_surrogate_escape_in_params_is_invalid_params(string parameters)
    {
        await using var client = RpcTestClient.Start(transport);

        string reply = await client.CallAsync($$"""{"jsonrpc": "2.0", "method": "echo", "params": {{parameters}}, "id": 8}""");

        JsonAssert.AreEqual(reply, """
            {"jsonrpc": "2.0", "id": 8, "error": {"code": -32602,
             "message": "Invalid params: params must not contain unpaired surrogate escapes such as \\ud800",
             "data": {"field": "params", "reason": "must not contain unpaired surrogate escapes such as \\ud800"}}}
            """);
        JsonAssert.AreEqual(await client.CallAsync(Subtract), """{"jsonrpc": "2.0", "result": 19, "id": 1}""");
    }

    [Test]
    public async Task A_surrogate_pair_escape_in_params_is_text_like_any_other()
    {
        await using var client = RpcTestClient.Start(transport);

        string reply = await client.CallAsync("""{"jsonrpc": "2.0", "method": "echo", "params": {"text": "\ud83d\ude00 \u00e9"}, "id": 9}""");

        JsonAssert.AreEqual(reply, """{"jsonrpc": "2.0", "result": {"text": "😀 é"}, "id": 9}""");
    }

    [Test]
    public async Task A_lone_surrogate_escape_as_the_id_is_echoed_as_written()
    {
        await using var client = RpcTestClient.Start(transport);

        string reply = await client.CallAsync("""{"jsonrpc": "2.0", "method": "subtract", "params": {"minuend": 2, "subtrahend": 1}, "id": "\ud800"}""");

        Assert.That(JsonAssert.RawId(reply), Is.EqualTo("\"\\ud800\""));
    }

    [Test]
    public async Task Params_nesting_deeper_than_any_method_takes_are_invalid_params_naming_the_field()
    {
        await using var client = RpcTestClient.Start(transport, maxMessageBytes: 1024 * 1024);

        string reply = await client.CallAsync(
            $$$"""{"jsonrpc": "2.0", "method": "echo", "id": 1, "params": {"a": {{{new string('[', 65)}}}{{{new string(']', 65)}}}}}""");

        Assert.That(reply, Does.Contain("\"code\":-32602").And.Contain("\"field\":\"a\""));
        JsonAssert.AreEqual(await client.CallAsync(Subtract), """{"jsonrpc": "2.0", "result": 19, "id": 1}""");
    }

    [TestCase(100_000)]
    public async Task Nesting_deeper_than_the_parser_allows_is_a_parse_error(int depth)
    {
        await using var client = RpcTestClient.Start(transport, maxMessageBytes: 1024 * 1024);

        string reply = await client.CallAsync(
            $$$"""{"jsonrpc": "2.0", "method": "echo", "id": 1, "params": {"a": {{{new string('[', depth)}}}{{{new string(']', depth)}}}}}""");

        JsonAssert.AreEqual(reply, ParseError);
        JsonAssert.AreEqual(await client.CallAsync(Subtract), """{"jsonrpc": "2.0", "result": 19, "id": 1}""");
    }

    [TestCase("1e400")]
    [TestCase("123456789012345678901234567890")]
    public async Task A_number_too_big_for_the_parameter_is_an_error_reply_not_a_failure(string number)
    {
        await using var client = RpcTestClient.Start(transport);

        string reply = await client.CallAsync($$"""{"jsonrpc": "2.0", "method": "subtract", "params": {"minuend": {{number}}, "subtrahend": 1}, "id": 2}""");

        Assert.That(reply, Does.Contain("\"error\"").And.Not.Contains("Exception"));
        JsonAssert.AreEqual(await client.CallAsync(Subtract), """{"jsonrpc": "2.0", "result": 19, "id": 1}""");
    }
}

/// <summary>Bytes that are not UTF-8, which only the NDJSON framing lets through to the parser (WebSocket text frames are checked by the socket).</summary>
public sealed class InvalidUtf8Tests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [TestCase(new byte[] { 0xFF })]
    [TestCase(new byte[] { 0xC0, 0x80 })]
    [TestCase(new byte[] { 0xED, 0xA0, 0x80 })]
    [TestCase(new byte[] { 0xE2, 0x82 })]
    public async Task Invalid_UTF8_inside_a_string_is_a_parse_error_and_the_connection_stays_open(byte[] junk)
    {
        (IDuplexPipe server, IDuplexPipe client) = FullDuplexStream.CreatePipePair();
        await using var connection = new RpcConnection(
            new NdjsonTransport(server.Input, server.Output, maxMessageBytes: 1000), new SpecExampleTarget(), typeof(SpecExampleTarget), NullLogger.Instance);
        Task serving = connection.RunAsync(CancellationToken.None);

        // In the id, which would otherwise be echoed byte for byte, and in the params.
        await client.Output.WriteAsync((byte[])[.. Utf8("{\"jsonrpc\": \"2.0\", \"method\": \"subtract\", \"id\": \"x"), .. junk, .. Utf8("\"}\n")]);
        await client.Output.WriteAsync((byte[])[.. Utf8("{\"jsonrpc\": \"2.0\", \"method\": \"echo\", \"id\": 3, \"params\": {\"a\": \""), .. junk, .. Utf8("\"}}\n")]);
        await client.Output.WriteAsync(Utf8("""{"jsonrpc": "2.0", "method": "subtract", "params": {"minuend": 42, "subtrahend": 23}, "id": 1}""" + "\n"));
        await client.Output.CompleteAsync();
        string[] replies = await ReadLinesAsync(client.Input);
        await serving.WaitAsync(Timeout);

        Assert.That(replies, Has.Length.EqualTo(3));
        JsonAssert.AreEqual(replies[0], """{"jsonrpc": "2.0", "error": {"code": -32700, "message": "Parse error"}, "id": null}""");
        JsonAssert.AreEqual(replies[1], """{"jsonrpc": "2.0", "error": {"code": -32700, "message": "Parse error"}, "id": null}""");
        JsonAssert.AreEqual(replies[2], """{"jsonrpc": "2.0", "result": 19, "id": 1}""");
    }

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    private static async Task<string[]> ReadLinesAsync(PipeReader reader)
    {
        while (true)
        {
            ReadResult result = await reader.ReadAsync().AsTask().WaitAsync(Timeout);
            if (result.IsCompleted)
            {
                string text = Encoding.UTF8.GetString(result.Buffer);
                reader.AdvanceTo(result.Buffer.End);
                return text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            }

            reader.AdvanceTo(result.Buffer.Start, result.Buffer.End);
        }
    }
}
