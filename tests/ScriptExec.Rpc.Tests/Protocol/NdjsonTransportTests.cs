using System.IO.Pipelines;
using System.Text;
using ScriptExec.Rpc.Protocol;

namespace ScriptExec.Rpc.Tests.Protocol;

/// <summary>NDJSON framing: lines in, lines out, and never more buffered than the limit allows.</summary>
[FixtureLifeCycle(LifeCycle.InstancePerTestCase)]
public sealed class NdjsonTransportTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private readonly Pipe _toServer = new();
    private readonly Pipe _fromServer = new();

    [Test]
    public async Task Lines_are_messages_with_CR_stripped_and_blank_lines_skipped()
    {
        await using var transport = Create(maxMessageBytes: 100);

        await WriteAsync("one\r\n\n \t\r\n\r\ntwo\nthree");
        await _toServer.Writer.CompleteAsync();

        Assert.That(await ReadAllAsync(transport), Is.EqualTo(new[] { "one", "two", "three" }));
    }

    [Test]
    public async Task A_line_arriving_in_pieces_is_one_message()
    {
        await using var transport = Create(maxMessageBytes: 100);

        Task<TransportRead> read = transport.ReadAsync(CancellationToken.None).AsTask();
        await WriteAsync("{\"a\":");
        Assert.That(read.IsCompleted, Is.False);
        await WriteAsync(" 1}\n");
        TransportRead message = await read.WaitAsync(Timeout);

        Assert.That(Text(message), Is.EqualTo("{\"a\": 1}"));
    }

    [TestCase("0123456789\n", "0123456789")]
    [TestCase("0123456789", "0123456789")]
    public async Task A_line_of_exactly_the_limit_is_accepted(string input, string expected)
    {
        await using var transport = Create(maxMessageBytes: 10);

        await WriteAsync(input);
        await _toServer.Writer.CompleteAsync();

        Assert.That(await ReadAllAsync(transport), Is.EqualTo(new[] { expected }));
    }

    [TestCase("0123456789A\nnext\n")]
    [TestCase("0123456789A")]
    public async Task A_line_over_the_limit_is_too_large_and_ends_reading(string input)
    {
        await using var transport = Create(maxMessageBytes: 10);

        await WriteAsync(input);
        TransportRead first = await transport.ReadAsync(CancellationToken.None).AsTask().WaitAsync(Timeout);
        TransportRead second = await transport.ReadAsync(CancellationToken.None).AsTask().WaitAsync(Timeout);

        Assert.That(first.Kind, Is.EqualTo(TransportReadKind.TooLarge));
        Assert.That(second.Kind, Is.EqualTo(TransportReadKind.EndOfStream));
    }

    [Test]
    public async Task An_endless_line_is_refused_without_waiting_for_its_end()
    {
        await using var transport = Create(maxMessageBytes: 1000);

        Task<TransportRead> read = transport.ReadAsync(CancellationToken.None).AsTask();
        for (int i = 0; i < 20 && !read.IsCompleted; i++)
        {
            await WriteAsync(new string('x', 100));
        }

        Assert.That((await read.WaitAsync(Timeout)).Kind, Is.EqualTo(TransportReadKind.TooLarge));
    }

    [Test]
    public async Task Concurrent_writes_each_become_one_whole_line()
    {
        await using var transport = Create(maxMessageBytes: 100);

        await Task.WhenAll(Enumerable.Range(0, 200).Select(i => transport.WriteAsync(Encoding.UTF8.GetBytes($"message {i} {new string('y', i)}"), CancellationToken.None).AsTask()));
        await transport.CloseAsync(tooLarge: false, CancellationToken.None);

        string written = await ReadToEndAsync(_fromServer.Reader);
        Assert.That(written.Split('\n'), Is.EquivalentTo(Enumerable.Range(0, 200).Select(i => $"message {i} {new string('y', i)}").Append(string.Empty)));
    }

    [Test]
    public async Task Writes_after_close_are_discarded()
    {
        await using var transport = Create(maxMessageBytes: 100);

        await transport.CloseAsync(tooLarge: true, CancellationToken.None);
        await transport.WriteAsync("late"u8.ToArray(), CancellationToken.None);

        Assert.That(await ReadToEndAsync(_fromServer.Reader), Is.Empty);
    }

    private static string Text(TransportRead read)
    {
        Assert.That(read.Kind, Is.EqualTo(TransportReadKind.Message));
        return Encoding.UTF8.GetString(read.Message);
    }

    private static async Task<List<string>> ReadAllAsync(NdjsonTransport transport)
    {
        var messages = new List<string>();
        while (true)
        {
            TransportRead read = await transport.ReadAsync(CancellationToken.None).AsTask().WaitAsync(Timeout);
            if (read.Kind == TransportReadKind.EndOfStream)
            {
                return messages;
            }

            messages.Add(Text(read));
        }
    }

    private static async Task<string> ReadToEndAsync(PipeReader reader)
    {
        while (true)
        {
            ReadResult result = await reader.ReadAsync().AsTask().WaitAsync(Timeout);
            if (result.IsCompleted)
            {
                string text = Encoding.UTF8.GetString(result.Buffer);
                reader.AdvanceTo(result.Buffer.End);
                return text;
            }

            reader.AdvanceTo(result.Buffer.Start, result.Buffer.End);
        }
    }

    private NdjsonTransport Create(int maxMessageBytes) => new(_toServer.Reader, _fromServer.Writer, maxMessageBytes);

    private async Task WriteAsync(string text) => await _toServer.Writer.WriteAsync(Encoding.UTF8.GetBytes(text));
}
