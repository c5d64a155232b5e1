using System.Diagnostics;
using System.IO.Pipelines;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Nerdbank.Streams;
using ScriptExec.Rpc.Protocol;

namespace ScriptExec.Rpc.Tests.Protocol;

/// <summary>
/// Slow-loris protection: a message that has started must complete within the transport's message timeout, while a
/// connection with nothing under way may stay idle forever. Time is a fake clock, advanced until the outcome shows.
/// </summary>
[FixtureLifeCycle(LifeCycle.InstancePerTestCase)]
public sealed class MessageTimeoutTests
{
    private static readonly TimeSpan MessageTimeout = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan Step = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan RealTimeout = TimeSpan.FromSeconds(10);
    private readonly FakeTimeProvider _clock = new();
    private readonly Pipe _toServer = new();
    private readonly Pipe _fromServer = new();

    [Test]
    public async Task A_started_line_not_completed_in_time_times_out_and_ends_reading()
    {
        await using var transport = CreateNdjson();

        await WriteAsync("{\"jsonrpc\": \"2.0\", ");
        (TransportRead read, TimeSpan advanced) = await AdvanceUntilDoneAsync(transport.ReadAsync(CancellationToken.None).AsTask());
        TransportRead after = await transport.ReadAsync(CancellationToken.None);

        Assert.Multiple(() =>
        {
            Assert.That(read.Kind, Is.EqualTo(TransportReadKind.TimedOut));
            Assert.That(advanced, Is.GreaterThanOrEqualTo(MessageTimeout));
            Assert.That(after.Kind, Is.EqualTo(TransportReadKind.EndOfStream));
        });
    }

    [Test]
    public async Task An_idle_NDJSON_connection_is_never_timed_out()
    {
        await using var transport = CreateNdjson();

        Task<TransportRead> read = transport.ReadAsync(CancellationToken.None).AsTask();
        for (int i = 0; i < 120; i++)
        {
            _clock.Advance(TimeSpan.FromMinutes(1));
        }

        await WriteAsync("{}\n");

        Assert.That((await read.WaitAsync(RealTimeout)).Kind, Is.EqualTo(TransportReadKind.Message));
    }

    [Test]
    public async Task Each_line_gets_the_whole_timeout_afresh()
    {
        await using var transport = CreateNdjson();
        TimeSpan almost = MessageTimeout - Step;

        await WriteAsync("{\"first\":");
        Task<TransportRead> first = transport.ReadAsync(CancellationToken.None).AsTask();
        _clock.Advance(almost);
        await WriteAsync(" 1}\n{\"second\":");
        TransportRead firstRead = await first.WaitAsync(RealTimeout);
        string firstText = Encoding.UTF8.GetString(firstRead.Message);
        Task<TransportRead> second = transport.ReadAsync(CancellationToken.None).AsTask();
        _clock.Advance(almost);
        await WriteAsync(" 2}\n");
        TransportRead secondRead = await second.WaitAsync(RealTimeout);

        Assert.Multiple(() =>
        {
            Assert.That(firstText, Is.EqualTo("{\"first\": 1}"));
            Assert.That(secondRead.Kind, Is.EqualTo(TransportReadKind.Message));
            Assert.That(Encoding.UTF8.GetString(secondRead.Message), Is.EqualTo("{\"second\": 2}"));
        });
    }

    [Test]
    public async Task A_WebSocket_message_whose_fragments_stop_coming_times_out()
    {
        (WebSocket client, WebSocketTransport transport) = CreateWebSocket();
        await using var _ = transport;

        await client.SendAsync("{\"jsonrpc\":"u8.ToArray(), WebSocketMessageType.Text, endOfMessage: false, CancellationToken.None);
        (TransportRead read, TimeSpan advanced) = await AdvanceUntilDoneAsync(transport.ReadAsync(CancellationToken.None).AsTask());

        Assert.Multiple(() =>
        {
            Assert.That(read.Kind, Is.EqualTo(TransportReadKind.TimedOut));
            Assert.That(advanced, Is.GreaterThanOrEqualTo(MessageTimeout));
        });
    }

    [Test]
    public async Task An_idle_WebSocket_connection_is_never_timed_out()
    {
        (WebSocket client, WebSocketTransport transport) = CreateWebSocket();
        await using var _ = transport;

        Task<TransportRead> read = transport.ReadAsync(CancellationToken.None).AsTask();
        for (int i = 0; i < 120; i++)
        {
            _clock.Advance(TimeSpan.FromMinutes(1));
        }

        await client.SendAsync("{}"u8.ToArray(), WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);

        Assert.That((await read.WaitAsync(RealTimeout)).Kind, Is.EqualTo(TransportReadKind.Message));
    }

    [Test]
    public async Task The_connection_answers_a_timed_out_message_with_invalid_request_and_closes()
    {
        await using var connection = new RpcConnection(CreateNdjson(), new SpecExampleTarget(), typeof(SpecExampleTarget), NullLogger.Instance);
        Task serving = connection.RunAsync(CancellationToken.None);

        await WriteAsync("{\"jsonrpc\": \"2.0\", \"method\": \"subtract\", ");
        await AdvanceUntilDoneAsync(serving.ContinueWith(_ => true, TaskScheduler.Default));
        string written = await ReadToEndAsync(_fromServer.Reader);
        var reply = JsonNode.Parse(written.TrimEnd('\n'))!;

        Assert.Multiple(() =>
        {
            Assert.That(written.Count(c => c == '\n'), Is.EqualTo(1), written);
            Assert.That(reply["id"], Is.Null);
            Assert.That(reply["error"]!["code"]!.GetValue<int>(), Is.EqualTo(-32600));
            Assert.That(reply["error"]!["message"]!.GetValue<string>(), Does.Contain("not completed within 5 s"));
        });
    }

    private static async Task<string> ReadToEndAsync(PipeReader reader)
    {
        while (true)
        {
            ReadResult result = await reader.ReadAsync().AsTask().WaitAsync(RealTimeout);
            if (result.IsCompleted)
            {
                string text = Encoding.UTF8.GetString(result.Buffer);
                reader.AdvanceTo(result.Buffer.End);
                return text;
            }

            reader.AdvanceTo(result.Buffer.Start, result.Buffer.End);
        }
    }

    /// <summary>Moves the fake clock a step at a time until <paramref name="task"/> completes; returns how far it moved.</summary>
    private async Task<(T Result, TimeSpan Advanced)> AdvanceUntilDoneAsync<T>(Task<T> task)
    {
        var realTime = Stopwatch.StartNew();
        TimeSpan advanced = TimeSpan.Zero;
        while (!task.IsCompleted)
        {
            Assert.That(realTime.Elapsed, Is.LessThan(RealTimeout), "the read never ended");
            _clock.Advance(Step);
            advanced += Step;
            await Task.WhenAny(task, Task.Delay(TimeSpan.FromMilliseconds(10), CancellationToken.None));
        }

        return (await task, advanced);
    }

    private NdjsonTransport CreateNdjson() => new(_toServer.Reader, _fromServer.Writer, maxMessageBytes: 1000, MessageTimeout, _clock);

    private (WebSocket Client, WebSocketTransport Transport) CreateWebSocket()
    {
        (Stream serverStream, Stream clientStream) = FullDuplexStream.CreatePair();
        var server = WebSocket.CreateFromStream(serverStream, new WebSocketCreationOptions { IsServer = true, KeepAliveInterval = Timeout.InfiniteTimeSpan });
        var client = WebSocket.CreateFromStream(clientStream, new WebSocketCreationOptions { IsServer = false, KeepAliveInterval = Timeout.InfiniteTimeSpan });
        return (client, new WebSocketTransport(server, maxMessageBytes: 1000, MessageTimeout, _clock));
    }

    private async Task WriteAsync(string text) => await _toServer.Writer.WriteAsync(Encoding.UTF8.GetBytes(text));
}
