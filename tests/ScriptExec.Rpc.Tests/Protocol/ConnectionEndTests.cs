namespace ScriptExec.Rpc.Tests.Protocol;

/// <summary>How a connection ends when the client stops sending.</summary>
public sealed class ConnectionEndTests
{
    [Test]
    public async Task An_NDJSON_client_that_half_closes_still_gets_its_replies()
    {
        var target = new SpecExampleTarget();
        await using var client = RpcTestClient.Start(TransportKind.Ndjson, target);

        await client.SendAsync("""[{"jsonrpc": "2.0", "method": "gated", "id": 1}, {"jsonrpc": "2.0", "method": "notify_hello"}]""");
        await client.SendAsync("""{"jsonrpc": "2.0", "method": "gated", "id": 2}""");
        await client.CompleteSendingAsync();
        target.Gate.SetResult();
        string first = await client.ReceiveReplyAsync();
        string second = await client.ReceiveReplyAsync();
        string? end = await client.ReceiveAsync();

        // The batch reply and the single reply may come in either order.
        JsonAssert.BatchEquivalent($"[{first},{second}]", """
            [
              [{"jsonrpc": "2.0", "result": "opened", "id": 1}],
              {"jsonrpc": "2.0", "result": "opened", "id": 2}
            ]
            """);
        Assert.That(end, Is.Null);
        await client.WaitUntilServingEndedAsync();
    }

    [TestCase(TransportKind.Ndjson)]
    [TestCase(TransportKind.WebSocket)]
    public async Task Disposing_the_connection_closes_it_for_the_client(TransportKind transport)
    {
        await using var client = RpcTestClient.Start(transport);

        await client.Connection.DisposeAsync();

        Assert.That(await client.ReceiveAsync(), Is.Null);
        await client.WaitUntilServingEndedAsync();
    }

    [TestCase(TransportKind.Ndjson)]
    [TestCase(TransportKind.WebSocket)]
    public async Task A_client_that_closes_ends_the_connection(TransportKind transport)
    {
        await using var client = RpcTestClient.Start(transport);

        await client.CompleteSendingAsync();

        Assert.That(await client.ReceiveAsync(), Is.Null);
        await client.WaitUntilServingEndedAsync();
    }
}
